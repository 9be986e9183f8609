# Source this to use the build tree without installing:
#   . scripts/env.sh && streamproc --help
_sp_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_sp_build=${BUILD_DIR:-$_sp_root/build}
case "$_sp_build" in /*) ;; *) _sp_build=$_sp_root/$_sp_build ;; esac
export PYTHONPATH="$_sp_build/test_modules${PYTHONPATH:+:$PYTHONPATH}"
export LD_LIBRARY_PATH="$_sp_build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export GRC_BLOCKS_PATH="$_sp_root/grc${GRC_BLOCKS_PATH:+:$GRC_BLOCKS_PATH}"
export PATH="$_sp_root/apps:$PATH"
unset _sp_root _sp_build
