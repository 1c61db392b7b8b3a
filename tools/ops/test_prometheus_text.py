"""The strict exposition parser rejects what Prometheus would reject (so passing it means something)."""
import pytest

from tools.ops import prometheus_text as P

GOOD = """# HELP a_total A counter.
# TYPE a_total counter
a_total{reason="x\\"y\\\\z\\n"} 3
# TYPE h histogram
h_bucket{le="0.5"} 1
h_bucket{le="+Inf"} 2
h_sum 0.75
h_count 2
"""


def test_accepts_valid_text_and_unescapes_labels():
    fams = P.parse(GOOD)
    assert P.value(fams, "a_total", reason='x"y\\z\n') == 3
    assert P.value(fams, "h_count") == 2


@pytest.mark.parametrize("bad", [
    "# TYPE a counter\na 1\n",                          # counter without _total
    "a_total 1\n",                                      # no TYPE
    "# TYPE a_total counter\na_total{x=\"\\t\"} 1\n",   # bad escape
    "# TYPE a_total counter\na_total one\n",            # bad value
    "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",  # not cumulative
    "# TYPE g gauge\ng 1",                              # no final newline
])
def test_rejects_invalid_text(bad):
    with pytest.raises(ValueError):
        P.parse(bad)
