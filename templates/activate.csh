# Activation script for csh and tcsh. Use it with `source bin/activate.csh`;
# `deactivate` undoes it.
#
# csh has no functions, so deactivate is an alias. A one-line `if` makes csh expand every
# variable on the line even when the condition is false, so each restore of a saved variable
# is passed to `eval` in single quotes: it is expanded only when it runs. History
# substitution applies to this file too, which is why every bang here is written with a
# backslash before it.

# deactivate [nondestructive], in order: the saved PATH; PYTHONHOME if it was set before; the
# saved prompt if it was changed; drop VIRTUAL_ENV and VIRTUAL_ENV_PROMPT; rehash; and remove
# the alias itself unless the argument is nondestructive.
alias deactivate 'if ($?_OLD_VIRTUAL_PATH) eval '\''setenv PATH "$_OLD_VIRTUAL_PATH:q"'\''; unset _OLD_VIRTUAL_PATH; if ($?_OLD_VIRTUAL_PYTHONHOME) eval '\''setenv PYTHONHOME "$_OLD_VIRTUAL_PYTHONHOME:q"'\''; unset _OLD_VIRTUAL_PYTHONHOME; if ($?_OLD_VIRTUAL_PROMPT) eval '\''set prompt = "$_OLD_VIRTUAL_PROMPT:q"'\''; unset _OLD_VIRTUAL_PROMPT; unsetenv VIRTUAL_ENV; unsetenv VIRTUAL_ENV_PROMPT; rehash; if ("\!*" != nondestructive) unalias deactivate'

# Leave any environment that is active now.
deactivate nondestructive

setenv VIRTUAL_ENV __VIRTUAL_ENV__
# VIRTUAL_ENV_PROMPT as this Python's venv sets it: unset before 3.10, "(name) " and only
# with the prompt shown for 3.10-3.12, the bare name from 3.13.
__SET_PROMPT_VAR__

# Put the environment's bin directory first on the search path.
if ($?PATH) then
    set _OLD_VIRTUAL_PATH = "$PATH:q"
    setenv PATH "$VIRTUAL_ENV:q/"__BIN_NAME__":$PATH:q"
else
    setenv PATH "$VIRTUAL_ENV:q/"__BIN_NAME__
endif

# A PYTHONHOME would point the environment's interpreter at another installation.
if ($?PYTHONHOME) then
    set _OLD_VIRTUAL_PYTHONHOME = "$PYTHONHOME:q"
    unsetenv PYTHONHOME
endif

# Show "(prompt) " before the prompt, only where there is a prompt (interactive shells) and
# VIRTUAL_ENV_DISABLE_PROMPT is unset or empty. The prefix is escaped for the percent, bang,
# caret and backslash sequences tcsh reads in a prompt.
set _rvenv_decorate = 1
if ($?VIRTUAL_ENV_DISABLE_PROMPT) then
    if ("$VIRTUAL_ENV_DISABLE_PROMPT:q" != "") set _rvenv_decorate = 0
endif
if ($_rvenv_decorate) then
    __SET_PROMPT_VAR_IF_SHOWN__
    if ($?prompt) then
        set _OLD_VIRTUAL_PROMPT = "$prompt:q"
        set prompt = __PROMPT_PREFIX__"$prompt:q"
    endif
endif
unset _rvenv_decorate

# Forget command locations remembered from before the search path changed.
rehash
