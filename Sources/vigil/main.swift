VigilCommand.main()
