"""What every command line of the kit shares: usage errors in one line (parser.py), and what to
install on the user's system when a tool is missing (remedies.py). Python 3.8+, as make doctor
runs on the python3 macOS and older Ubuntus ship; it imports nothing of the kit."""
