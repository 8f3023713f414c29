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


def wheel_version(path):
    # pip-23.2.1-py3-none-any.whl -> "23.2.1"
    return os.path.basename(path).split("-")[1]


def newest(paths):
    def key(path):
        return [int(p) if p.isdigit() else 0 for p in wheel_version(path).split(".")]
    return sorted(paths, key=key)[-1] if paths else None


def ensurepip_wheels():
    """The wheels `python -m ensurepip` would install, as [{name, version, path}]; None if this
    interpreter has no ensurepip. Each CPython generation (and each distribution's patch of it)
    names them differently, so ask the way that version answers."""
    try:
        import ensurepip
    except Exception:
        return None
    import glob
    bundled = os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")
    found = []
    if hasattr(ensurepip, "_get_pip_whl_path_ctx"):  # 3.13+
        with ensurepip._get_pip_whl_path_ctx() as path:
            found.append(("pip", str(path)))
    elif hasattr(ensurepip, "_get_packages"):  # 3.10-3.12, and Debian's 3.11
        for name, package in ensurepip._get_packages().items():
            found.append((name, package.wheel_path or os.path.join(bundled, package.wheel_name)))
    elif hasattr(ensurepip, "_PROJECTS"):  # 3.6-3.9 (tuples), Debian's PyPy (names)
        for project in ensurepip._PROJECTS:
            if isinstance(project, tuple):
                name, version = project[0], project[1]
                path = newest(glob.glob(os.path.join(bundled, "%s-%s-*.whl" % (name, version))))
            else:
                name = project
                path = newest(glob.glob("/usr/share/python-wheels/%s-*[.-]py3-*.whl" % name))
            if path:
                found.append((name, path))
    return [{"name": n, "version": wheel_version(p), "path": p} for n, p in found]


def magic_number():
    try:
        import importlib.util
        return importlib.util.MAGIC_NUMBER.hex()
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
    "cache_tag": getattr(implementation, "cache_tag", None),
    "magic_number": magic_number(),
    "ensurepip": ensurepip_wheels() if sys.version_info[0] >= 3 else None,
}))
