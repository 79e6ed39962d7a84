# Sourced by the other scripts: make sure .venv exists with the pinned requirements.
# Re-installs only when a requirements file changed since the last install.
set -euo pipefail

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Medh Allocation needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
    echo "Set PYTHON=/path/to/python3.11 and run again." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtualenv in .venv ..."
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
wanted=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "Installing the pinned requirements into .venv ..."
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r requirements-dev.txt
    echo "$wanted" > "$stamp"
fi

# Compile the translations (locale/<lang>/LC_MESSAGES/*.po -> .mo, not committed) when a .po is
# newer than its .mo, with GNU gettext's msgfmt (what `manage.py compilemessages` runs).
for po in locale/*/LC_MESSAGES/*.po; do
    [ -e "$po" ] || continue
    mo=${po%.po}.mo
    if [ ! -e "$mo" ] || [ "$po" -nt "$mo" ]; then
        if ! command -v msgfmt >/dev/null; then
            echo "msgfmt (GNU gettext) is missing: pages stay in English. Install it: apt-get install gettext" >&2
            break
        fi
        msgfmt --check-format -o "$mo" "$po"
    fi
done
