# Shared by scripts/app and scripts/test: system packages, the virtual
# environment and the Python requirements, each installed only when missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${NAMUWEB_VENV:-}"

say() { printf '\033[1;32m==>\033[0m %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "namuweb: please install ${missing[*]} with your system's package manager" >&2
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_java() {
  # konlpy's taggers run on the JVM (JPype); any Java 8+ runtime will do.
  command -v java >/dev/null || apt_install default-jre-headless
}

python_env() {
  # $1: requirements file. Installs only what is missing for these exact requirements.
  #
  # The environment is shared by every checkout on this machine that pins the same requirements:
  # it lives in ~/.cache/namuweb/venv-<digest of the requirements and the Python version>, and
  # .venv links to it, so a second clone starts in seconds instead of installing TensorFlow again.
  # NAMUWEB_VENV (or an .venv folder of an older checkout) keeps an environment in one place.
  local requirements="$1" python="${PYTHON:-python3}"
  local digest
  digest="$( (cat requirements*.txt; "$python" -VV) | sha256sum | cut -c1-16)"
  if [ -z "$VENV" ]; then
    if [ -d "$ROOT/.venv" ] && [ ! -L "$ROOT/.venv" ]; then
      VENV="$ROOT/.venv"
    else
      local cache="${XDG_CACHE_HOME:-$HOME/.cache}/namuweb"
      VENV="$cache/venv-$digest"
      mkdir -p "$cache"
      ln -sfn "$VENV" "$ROOT/.venv"
    fi
  fi
  local stamp="$VENV/.installed-$(basename "$requirements")"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    # one installer at a time per environment: two checkouts starting at once wait, then share it
    exec 9>"$VENV.lock"
    flock 9
    if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
      if [ ! -x "$VENV/bin/python" ]; then
        say "creating the virtual environment $VENV"
        "$python" -m venv "$VENV"
      fi
      say "installing Python packages from $requirements (first time: a few minutes)"
      "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
      echo "$digest" > "$stamp"
      # environments of older requirements: the three most recently installed stay
      case "$VENV" in */namuweb/venv-*)
        ls -dt "$(dirname "$VENV")"/venv-*/ 2>/dev/null | tail -n +4 | while read -r old; do rm -rf "$old" "${old%/}.lock"; done ;;
      esac
    fi
    flock -u 9
    exec 9>&-
  fi
  export PATH="$VENV/bin:$PATH"
}
