// The C boundary of Vigil: librdkafka's public header, nothing else.
// Only Sources/VigilKafka imports this module; it is not API.
#include <librdkafka/rdkafka.h>
