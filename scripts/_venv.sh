# Sourced by the scripts: create a virtualenv if needed and install the project into it.
# ensure_venv EXTRAS [DIRECTORY [REQUIREMENT...]]: the project with EXTRAS, in DIRECTORY
# (.venv by default), plus any further requirements (such as google-adk==1.28.0).
ensure_venv() {
    local extras="$1" directory="${2:-.venv}"
    shift $(($# < 2 ? $# : 2))
    if [ ! -x "$directory/bin/python" ]; then
        if ! python3 -m venv "$directory" 2>/dev/null; then
            rm -rf "$directory"
            as_root apt-get update -qq
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
            python3 -m venv "$directory"
        fi
    fi
    "$directory/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$directory/bin/python" -m pip install -q -e ".[${extras}]" "$@"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
