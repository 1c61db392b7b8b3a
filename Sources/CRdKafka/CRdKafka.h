// The C boundary of Vigil: librdkafka's public headers, nothing else.
// Only Sources/VigilKafka imports this module; it is not API.
#include <librdkafka/rdkafka.h>
// The in-process mock cluster (same library): tests of broker faults only (KafkaMockCluster).
#include <librdkafka/rdkafka_mock.h>
