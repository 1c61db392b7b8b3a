"""Tests for the Toronto MCI -> canonical incident conversion.

Run: python -m pytest tools/vigil_tools
"""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tools.vigil_tools import toronto as T

HEADER = (
    "occurrencedate,occurrencehour,premises_type,occurrencemonth,occurrencedayofweek,MCI,"
    "Neighbourhood,occurrenceday,occurrencedayofyear,Pub_Id,Park_Id,PS_Id,Lat,Long\n"
)
EXAMPLE_ROW = (
    "2014/03/02 05:00:00+00,8,House,March,Sunday    ,Assault,West Humber-Clairville,"
    "2,61,0,0,0,43.73401277,-79.59033164\n"
)
EXAMPLE_JSON = (
    b'{"id":"tor-mci-train-000001","event_time":"2014-03-02T08:00:00-05:00","category":"Assault",'
    b'"premises":"House","neighbourhood":"West Humber-Clairville","lat":43.73401277,'
    b'"lon":-79.59033164,"source":"toronto-mci"}'
)


def row(date_cell: str = "2014/03/02 05:00:00+00", hour: str = "8", premises: str = "House",
        mci: str = "Assault", hood: str = "West Humber-Clairville",
        lat: str = "43.73401277", lon: str = "-79.59033164") -> str:
    return f"{date_cell},{hour},{premises},March,Sunday    ,{mci},{hood},2,61,0,0,0,{lat},{lon}\n"


def convert(*rows: str, split: str = "train") -> list[T.Incident]:
    return T.load_csv(io.StringIO(HEADER + "".join(rows)), split)


def utc_ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


# ---------------------------------------------------------------------------
# The documented example


def test_example_row_is_byte_exact():
    [inc] = convert(EXAMPLE_ROW)
    assert T.to_json(inc.obj) == EXAMPLE_JSON
    assert T.to_json(inc) == EXAMPLE_JSON
    assert inc.epoch_ms == utc_ms(2014, 3, 2, 13)
    assert inc.local_date == date(2014, 3, 2)
    assert inc.id == "tor-mci-train-000001"
    assert T.kafka_key(inc.obj) == b"West Humber-Clairville"
    assert T.kafka_key(inc) == b"West Humber-Clairville"


def test_key_order_and_compactness():
    [inc] = convert(EXAMPLE_ROW)
    assert list(inc.obj) == ["id", "event_time", "category", "premises", "neighbourhood", "lat", "lon", "source"]
    text = T.to_json(inc.obj)
    assert b" " not in text.replace(b"West Humber", b"").replace(b"Break and", b"")
    assert json.loads(text) == inc.obj


# ---------------------------------------------------------------------------
# Local date and DST


@pytest.mark.parametrize("cell, expected", [
    ("2014/03/02 05:00:00+00", date(2014, 3, 2)),     # winter: EST midnight
    ("2014/07/02 04:00:00+00", date(2014, 7, 2)),     # summer: EDT midnight
    ("2019/03/10 05:00:00+00", date(2019, 3, 10)),    # spring-forward day (midnight still EST)
    ("2019/11/03 04:00:00+00", date(2019, 11, 3)),    # fall-back day (midnight still EDT)
    ("1978/04/10 04:00:00+00", date(1978, 4, 10)),    # written with today's DST rules (23:00 EST in 1978)
    ("2014-03-02", date(2014, 3, 2)),                 # bare date
    ("2014/03/02 05:00:00Z", date(2014, 3, 2)),
    ("2014/03/02 05:00:00+00:00", date(2014, 3, 2)),
])
def test_parse_local_date(cell, expected):
    assert T.parse_local_date(cell) == expected


@pytest.mark.parametrize("cell", [None, "", "   ", "garbage", "2014/13/45 05:00:00+00", float("nan"), 12])
def test_parse_local_date_rejects(cell):
    assert T.parse_local_date(cell) is None


def test_winter_and_summer_offsets():
    winter, summer = convert(
        row("2020/01/15 05:00:00+00", "13"),
        row("2020/07/15 04:00:00+00", "13"),
    )
    assert winter.obj["event_time"] == "2020-01-15T13:00:00-05:00"
    assert winter.epoch_ms == utc_ms(2020, 1, 15, 18)
    assert summer.obj["event_time"] == "2020-07-15T13:00:00-04:00"
    assert summer.epoch_ms == utc_ms(2020, 7, 15, 17)


@pytest.mark.parametrize("hour", range(24))
def test_hour_addition(hour):
    [inc] = convert(row("2018/06/01 04:00:00+00", str(hour)))
    assert inc.obj["event_time"] == f"2018-06-01T{hour:02d}:00:00-04:00"
    assert inc.epoch_ms == utc_ms(2018, 6, 1, 4) + hour * 3_600_000
    assert inc.local_date == date(2018, 6, 1)


def test_spring_forward_gap_is_normalised():
    incs = convert(*(row("2019/03/10 05:00:00+00", str(h)) for h in (1, 2, 3, 4)))
    times = [i.obj["event_time"] for i in incs]
    assert times == [
        "2019-03-10T01:00:00-05:00",
        "2019-03-10T03:00:00-04:00",  # 02:00 does not exist: taken as 02:00 EST = 07:00Z
        "2019-03-10T03:00:00-04:00",
        "2019-03-10T04:00:00-04:00",
    ]
    assert [i.epoch_ms for i in incs] == [utc_ms(2019, 3, 10, h) for h in (6, 7, 7, 8)]


def test_fall_back_ambiguous_hour_uses_fold0():
    incs = convert(*(row("2019/11/03 04:00:00+00", str(h)) for h in (0, 1, 2)))
    assert [i.obj["event_time"] for i in incs] == [
        "2019-11-03T00:00:00-04:00",
        "2019-11-03T01:00:00-04:00",  # first (daylight) 01:00
        "2019-11-03T02:00:00-05:00",
    ]
    assert [i.epoch_ms for i in incs] == [utc_ms(2019, 11, 3, h) for h in (4, 5, 7)]


def test_fast_path_matches_zoneinfo_everywhere():
    # two years of days (4 DST transitions) x every hour, fast path vs event_time_for
    start = date(2019, 1, 1)
    rows = []
    expected = []
    for k in range(0, 730, 1):
        d = start + timedelta(days=k)
        # occurrencedate as the layout writes it: local midnight in UTC
        midnight_utc = datetime(d.year, d.month, d.day, tzinfo=T.TORONTO).astimezone(UTC)
        cell = midnight_utc.strftime("%Y/%m/%d %H:%M:%S+00")
        for h in (0, 1, 2, 3, 12, 23):
            rows.append(row(cell, str(h)))
            expected.append(T.event_time_for(d, h))
    got = convert(*rows)
    assert [(i.epoch_ms, i.obj["event_time"], i.local_date) for i in got] == expected


def test_event_time_for_local_mean_time_falls_back_to_utc():
    # before 1895 Toronto used local mean time (-05:17:32): not RFC 3339, emit Z
    ms, text, _ = T.event_time_for(date(1880, 1, 1), 0)
    assert text.endswith("Z")
    assert datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000 == ms


# ---------------------------------------------------------------------------
# Ids


def test_ids_are_one_based_row_numbers_per_split():
    incs = convert(EXAMPLE_ROW, EXAMPLE_ROW, EXAMPLE_ROW, split="test")
    assert [i.id for i in incs] == ["tor-mci-test-000001", "tor-mci-test-000002", "tor-mci-test-000003"]
    assert T.incident_id("train", 123456) == "tor-mci-train-123456"
    assert T.incident_id("train", 7) == "tor-mci-train-000007"


# ---------------------------------------------------------------------------
# Missing and odd values


def test_missing_values_are_omitted_not_nan():
    incs = convert(
        row(mci=""),                                  # no category
        row(lat="", lon="NaN"),                       # no coordinates
        row(hood="   "),                              # blank neighbourhood
        row(hour=""),                                 # no hour -> no event_time
        row(date_cell=""),                            # no date -> no event_time
        row(date_cell="not a date", hour="x", premises="", lat="abc", lon="inf"),
        ",,,,,,,,,,,,,\n",                            # all empty
    )
    objs = [i.obj for i in incs]
    assert "category" not in objs[0]
    assert "lat" not in objs[1] and "lon" not in objs[1]
    assert "neighbourhood" not in objs[2] and T.kafka_key(objs[2]) == b"unknown"
    assert "event_time" not in objs[3] and incs[3].epoch_ms is None
    assert "event_time" not in objs[4] and incs[4].epoch_ms is None
    assert objs[5] == {"id": "tor-mci-train-000006", "category": "Assault",
                       "neighbourhood": "West Humber-Clairville", "source": "toronto-mci"}
    assert objs[6] == {"id": "tor-mci-train-000007", "source": "toronto-mci"}
    for inc in incs:
        text = T.to_json(inc.obj)  # allow_nan=False: would raise on NaN
        assert b"NaN" not in text and b"null" not in text
        assert list(inc.obj)[0] == "id" and list(inc.obj)[-1] == "source"
        # remaining keys keep the canonical relative order
        order = ["id", "event_time", "category", "premises", "neighbourhood", "lat", "lon", "source"]
        assert list(inc.obj) == [k for k in order if k in inc.obj]


def test_whitespace_is_stripped_and_floats_round_trip():
    [inc] = convert(row(hood="  Moss Park  ", mci=" Robbery ", lat="43.6500", lon="-79.37"))
    assert inc.obj["neighbourhood"] == "Moss Park"
    assert inc.obj["category"] == "Robbery"
    assert inc.obj["lat"] == 43.65 and inc.obj["lon"] == -79.37
    assert b'"lat":43.65,"lon":-79.37' in T.to_json(inc.obj)


def test_float_hour_cells_are_accepted():
    [inc] = convert(row(hour="8.0"))
    assert inc.obj["event_time"] == "2014-03-02T08:00:00-05:00"
    [bad] = convert(row(hour="8.5"))
    assert "event_time" not in bad.obj


def test_missing_columns_do_not_crash():
    incs = T.load_csv(io.StringIO("occurrencedate,occurrencehour\n2014/03/02 05:00:00+00,8\n"), "train")
    assert incs[0].obj == {"id": "tor-mci-train-000001", "event_time": "2014-03-02T08:00:00-05:00",
                           "source": "toronto-mci"}


def test_non_ascii_is_utf8():
    [inc] = convert(row(hood="Côte-des-Neiges"))
    assert "Côte-des-Neiges".encode() in T.to_json(inc.obj)
    assert T.kafka_key(inc.obj) == "Côte-des-Neiges".encode()


# ---------------------------------------------------------------------------
# Ordering


def test_load_incidents_sorts_by_instant_then_id(tmp_path: Path):
    (tmp_path / "train.csv").write_text(HEADER + "".join([
        row("2020/01/02 05:00:00+00", "5"),   # train-000001  2020-01-02 05:00
        row("2020/01/01 05:00:00+00", "23"),  # train-000002  2020-01-01 23:00
        row("", "1"),                          # train-000003  no time -> last
        row("2020/01/02 05:00:00+00", "5"),   # train-000004  tie with 000001
    ]))
    (tmp_path / "test.csv").write_text(HEADER + "".join([
        row("2020/01/02 05:00:00+00", "5"),   # test-000001  tie: "test" < "train"
        row("2019/12/31 05:00:00+00", "0"),   # test-000002  earliest
    ]))
    incs = T.load_incidents(("train", "test"), data_dir=tmp_path)
    assert [i.id for i in incs] == [
        "tor-mci-test-000002",
        "tor-mci-train-000002",
        "tor-mci-test-000001",
        "tor-mci-train-000001",
        "tor-mci-train-000004",
        "tor-mci-train-000003",
    ]
    assert incs == sorted(incs, key=T.Incident.sort_key)
    assert [i.id for i in T.load_incidents(["test"], data_dir=tmp_path)] == [
        "tor-mci-test-000002", "tor-mci-test-000001"]


def test_sort_uses_instant_not_local_text():
    # 01:00-04:00 (05:00Z) vs 01:00-05:00 would sort differently as text; instants decide
    incs = convert(
        row("2019/11/03 04:00:00+00", "2"),   # 02:00-05:00 = 07:00Z
        row("2019/11/03 04:00:00+00", "1"),   # 01:00-04:00 = 05:00Z
    )
    ordered = T.sort_incidents(incs)
    assert [i.obj["event_time"] for i in ordered] == ["2019-11-03T01:00:00-04:00", "2019-11-03T02:00:00-05:00"]


# ---------------------------------------------------------------------------
# The packaged data set (skipped when the data package is not installed)


def test_packaged_dataset():
    pytest.importorskip("mci_model")
    incs = T.load_incidents()
    assert len(incs) > 240_000
    ms = [i.epoch_ms for i in incs]
    assert all(m is not None for m in ms) and ms == sorted(ms)
    assert len({i.id for i in incs}) == len(incs)
    by_id = {i.id: i for i in incs}
    assert T.to_json(by_id["tor-mci-train-000001"].obj) == EXAMPLE_JSON
    for inc in incs[:: 997]:
        text = T.to_json(inc.obj)
        obj = json.loads(text)
        assert obj["source"] == "toronto-mci"
        assert isinstance(obj["lat"], float) and math.isfinite(obj["lat"])
        assert obj["event_time"][-6:] in ("-04:00", "-05:00")


# ---------------------------------------------------------------------------
# Helpers of the CLIs in tools/ (modules of the `tools` package)


def test_replay_select_filters_and_malformed():
    from tools import replay_incidents as replay

    incs = T.sort_incidents(convert(*(row(f"2020/01/{d:02d} 05:00:00+00", "1") for d in range(1, 11))))
    sel = replay.select(incs, date_from=date(2020, 1, 3), date_to=date(2020, 1, 8))
    assert [i.local_date.day for i in sel] == [3, 4, 5, 6, 7, 8]
    sel = replay.select(incs, date_from=date(2020, 1, 3), last_days=2)
    assert [i.local_date.day for i in sel] == [9, 10]
    assert len(replay.select(incs, last_days=3, limit=2)) == 2
    obj = incs[0].obj
    assert replay.malformed("invalid-json", obj) == b'{"id": "x", '
    assert replay.malformed("tombstone", obj) is None
    assert "category" not in json.loads(replay.malformed("missing-category", obj))
    assert isinstance(json.loads(replay.malformed("lat-string", obj))["lat"], str)
    bad = json.loads(replay.malformed("null-island", obj))
    assert (bad["lat"], bad["lon"]) == (0.0, 0.0)
    shifted = replay.shifted_obj(obj, incs[0].epoch_ms + 3_600_000)
    assert shifted["event_time"] == "2020-01-01T02:00:00-05:00" and obj["event_time"].startswith("2020-01-01T01")


@pytest.mark.parametrize("value", [
    None, b"", b"not json", b"\xff\xfe", b"[1,2]", b"42", b"null", b"{}",
    b'{"kind":"burst","severity":"high","event_time":"2021-12-31T23:00:00-05:00",'
    b'"key":{"category":"Assault"},"location":{"lat":43.7,"lon":-79.4,"cell":"8a2b"},'
    b'"evidence":{"count":7,"threshold":5},"window":{"duration_s":3600},"neighbourhood":"Moss Park"}',
    b'{"kind":null,"severity":["x"],"event_time":"yesterday","location":"here","evidence":7,"window":{"duration_s":"x"}}',
    b'{"event_time":1e400,"location":{"lat":"n/a","lon":null}}',
    b'{"event_time":-99999999999999999999}',
])
def test_tail_renderer_never_crashes(value):
    from tools import tail_alerts as tail

    for color in (False, True):
        r = tail.Renderer(color, UTC)
        line, _ = r.alert_line(value, 1_700_000_000_000)
        assert isinstance(line, str) and "\n" not in line
        dl = r.dead_letter_line(value, [("vigil.error", b"bad"), ("x-other", b"1"), ("vigil.reason", None)])
        assert "\n" not in dl
    plain = tail.Renderer(False, UTC)
    if value and value.startswith(b'{"kind":"burst"'):
        line, ok = plain.alert_line(value)
        assert ok and "Assault" in line and "Moss Park" in line and "7 ≥ 5" in line and "in 1h" in line
        assert line.startswith("2022-01-01 04:00:00")
    dl = plain.dead_letter_line(b"x" * 200, [("vigil.error", b"bad"), ("other", b"1")])
    assert "vigil.error=bad" in dl and "other" not in dl and "x" * 79 + "…" in dl
