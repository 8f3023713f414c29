# Activation script for xonsh. Use it with `source bin/activate.xsh`; `deactivate` undoes it.
#
# All the work happens in a function, so the session only gains the `deactivate` alias; what
# activation saved lives in that alias's closure.


def _rvenv_activate(virtual_env, bin_name, prompt_name):
    import os
    from string import Formatter

    env = ${...}

    # Leave any environment that is active now.
    if 'deactivate' in aliases:
        ![deactivate nondestructive]

    saved = {}

    def deactivate(args=None):
        """Put back what activation changed; `deactivate nondestructive` keeps this alias."""
        # The search path, PYTHONHOME (only if it was set) and the prompt saved at activation.
        for name in ('PATH', 'PYTHONHOME', 'PROMPT'):
            if name in saved:
                env[name] = saved.pop(name)
        for name in ('VIRTUAL_ENV', 'VIRTUAL_ENV_PROMPT'):
            if name in env:
                del env[name]
        if not (args and args[0] == 'nondestructive') and aliases.get('deactivate') is not None:
            del aliases['deactivate']

    aliases['deactivate'] = deactivate

    env['VIRTUAL_ENV'] = virtual_env
    # VIRTUAL_ENV_PROMPT as this Python's venv sets it: unset before 3.10, "(name) " and only
    # with the prompt shown for 3.10-3.12, the bare name from 3.13.
    __SET_PROMPT_VAR__

    # Put the environment's bin directory first on the search path.
    saved['PATH'] = list(env['PATH'])
    env['PATH'].insert(0, os.path.join(virtual_env, bin_name))

    # A PYTHONHOME would point the environment's interpreter at another installation.
    if 'PYTHONHOME' in env:
        saved['PYTHONHOME'] = env['PYTHONHOME']
        del env['PYTHONHOME']

    # Show "(prompt) " in the prompt. $PROMPT is a format template whose output xonsh reads
    # again for color names, so braces in the name are escaped for both passes. Where the
    # template already shows {env_name} (xonsh's own environment field), the name goes there
    # instead of being shown twice; otherwise it goes in front.
    if not env.get('VIRTUAL_ENV_DISABLE_PROMPT'):
        label = '(' + prompt_name + ') '
        text = label.replace('{', '{{{{').replace('}', '}}}}')
        old_prompt = env.get('PROMPT')
        saved['PROMPT'] = old_prompt
        if callable(old_prompt):
            env['PROMPT'] = lambda: text + old_prompt()
        else:
            template = old_prompt or ''
            pieces = []
            found = False
            try:
                parsed = list(Formatter().parse(template))
            except ValueError:
                parsed = []  # not a valid template: just put the name in front
            for literal, field, spec, conv in parsed:
                pieces.append(literal.replace('{', '{{').replace('}', '}}'))
                if field is None:
                    continue
                if field == 'env_name':
                    pieces.append(text)
                    found = True
                    continue
                conv_part = '!' + conv if conv else ''
                spec_part = ':' + spec if spec else ''
                pieces.append('{' + field + conv_part + spec_part + '}')
            env['PROMPT'] = ''.join(pieces) if found else text + template
        __SET_PROMPT_VAR_IF_SHOWN__


_rvenv_activate(
    __VIRTUAL_ENV__,
    __BIN_NAME__,
    __VIRTUAL_ENV_PROMPT__,
)
del _rvenv_activate
