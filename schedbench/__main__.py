from schedbench.cli import main

main()
