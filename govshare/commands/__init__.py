"""Every ``govshare`` subcommand: parse its arguments, call the layers below, print the outcome.

:mod:`govshare.commands.parsers` declares the arguments and names each command's function as
``module:function``; `govshare` imports that module only when the command runs, so a command
pays for the libraries it uses and no others (``govshare --help`` loads none of the server's).
"""
