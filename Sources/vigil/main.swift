// The `vigil` executable: its commands, the pipeline and the operations layer live in the
// VigilService library, so that tests import a library and this file stays one line.
import VigilService

VigilCommand.main()
