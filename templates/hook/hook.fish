# rvenv's prompt hook for fish, from `rvenv hook fish` (put `rvenv hook fish | source` in
# ~/.config/fish/config.fish). Before each prompt, if the directory changed, rvenv says what to
# do: activate the nearest trusted environment, deactivate the one this hook activated, or
# nothing. rvenv reads the environment's pyvenv.cfg and path only; nothing in the directory is
# sourced or run.
function _rvenv_hook --on-event fish_prompt
    if test "$_RVENV_HOOK_PWD" != "$PWD"
        set -g _RVENV_HOOK_PWD $PWD
        __RVENV__ hook-eval fish "$_RVENV_HOOK_ENV" "$_RVENV_HOOK_WARNED" | source
    end
end
