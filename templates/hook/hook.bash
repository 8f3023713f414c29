# rvenv's prompt hook for bash, from `rvenv hook bash` (put `eval "$(rvenv hook bash)"` in
# ~/.bashrc). Before each prompt, if the directory changed, rvenv says what to do: activate the
# nearest trusted environment, deactivate the one this hook activated, or nothing. rvenv reads
# the environment's pyvenv.cfg and path only; nothing in the directory is sourced or run.
_rvenv_hook() {
    local _rvenv_status=$?
    if [ "${_RVENV_HOOK_PWD-}" != "$PWD" ]; then
        _RVENV_HOOK_PWD=$PWD
        eval "$(__RVENV__ hook-eval bash "${_RVENV_HOOK_ENV-}" "${_RVENV_HOOK_WARNED-}")"
    fi
    return $_rvenv_status
}
case ";${PROMPT_COMMAND-};" in
    *";_rvenv_hook;"*) ;;
    *) PROMPT_COMMAND="_rvenv_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
esac
