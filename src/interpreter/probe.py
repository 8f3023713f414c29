# rvenv's interpreter probe: prints one JSON object describing this interpreter.
# It must run unchanged on Python 2.7 (so rvenv can name the version it refuses) and 3.6+,
# under -E -s -S (no site, no environment), and print nothing else.
import json
import os
import sys

ENV = "/@@rvenv-env@@"


def scheme_paths(scheme):
    try:
        import sysconfig
        if scheme not in sysconfig.get_scheme_names():
            return None
        env_vars = {"base": ENV, "platbase": ENV, "installed_base": ENV, "installed_platbase": ENV}
        return sysconfig.get_paths(scheme=scheme, vars=env_vars)
    except Exception:
        return None


implementation = getattr(sys, "implementation", None)
print(json.dumps({
    "placeholder": ENV,
    "implementation": implementation.name if implementation else "cpython",
    "version": list(sys.version_info[:3]),
    "releaselevel": sys.version_info[3],
    "executable": sys.executable,
    "base_executable": getattr(sys, "_base_executable", None) or sys.executable,
    "real_executable": os.path.realpath(sys.executable),
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "is_64bit": sys.maxsize > 2 ** 32,
    "platform": sys.platform,
    "os_name": os.name,
    "venv_scheme": scheme_paths("venv"),
    "posix_prefix_scheme": scheme_paths("posix_prefix"),
}))
