"""Every ``govshare`` subcommand: parse its arguments, call the layers below, print the outcome."""
