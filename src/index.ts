// The app's entry point (package.json "main"): importing each module registers its functions with the host.
