from uns.cli import main

raise SystemExit(main())
