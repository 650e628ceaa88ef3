import pytest

from auditkit.policies.aws.event_selectors import (
    DYNAMODB_TABLE,
    LAMBDA_FUNCTION,
    S3_OBJECT,
    DataEventCoverage,
    EventSelectors,
    Level,
    UnknownShape,
    all_buckets_space,
    all_of_type_space,
    bucket_space,
)

FULL, PARTIAL, NONE = Level.FULL, Level.PARTIAL, Level.NONE


def adv(*field_selectors, name="s"):
    return {"Name": name, "FieldSelectors": list(field_selectors)}


def s3_data(*extra):
    return adv(
        {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": [S3_OBJECT]}, *extra
    )


def cov(response, bucket="phi-a"):
    c = DataEventCoverage.of(EventSelectors.from_api(response), S3_OBJECT, bucket_space(bucket))
    return (c.read, c.write)


def test_advanced_all_buckets_covers_reads_and_writes():
    assert cov({"AdvancedEventSelectors": [s3_data()]}) == (FULL, FULL)


@pytest.mark.parametrize(("value", "expected"), [("true", (FULL, NONE)), ("false", (NONE, FULL))])
def test_advanced_read_only_filter_covers_one_side(value, expected):
    sel = s3_data({"Field": "readOnly", "Equals": [value]})
    assert cov({"AdvancedEventSelectors": [sel]}) == expected


def test_read_only_and_write_only_selectors_together_cover_both():
    r = s3_data({"Field": "readOnly", "Equals": ["true"]})
    w = s3_data({"Field": "readOnly", "Equals": ["false"]})
    assert cov({"AdvancedEventSelectors": [r, w]}) == (FULL, FULL)


@pytest.mark.parametrize(
    ("condition", "bucket", "expected"),
    [
        ({"StartsWith": ["arn:aws:s3:::phi-a/"]}, "phi-a", (FULL, FULL)),
        ({"StartsWith": ["arn:aws:s3:::phi-a/"]}, "phi-b", (NONE, NONE)),
        ({"StartsWith": ["arn:aws:s3:::phi-"]}, "phi-b", (FULL, FULL)),
        ({"StartsWith": ["arn:aws:s3:::phi-a/records/"]}, "phi-a", (PARTIAL, PARTIAL)),
        ({"Equals": ["arn:aws:s3:::phi-a/one-object"]}, "phi-a", (PARTIAL, PARTIAL)),
        ({"Equals": ["arn:aws:s3:::phi-b/one-object"]}, "phi-a", (NONE, NONE)),
        ({"NotStartsWith": ["arn:aws:s3:::phi-a/"]}, "phi-a", (NONE, NONE)),
        ({"NotStartsWith": ["arn:aws:s3:::phi-a/"]}, "phi-b", (FULL, FULL)),
        ({"NotStartsWith": ["arn:aws:s3:::phi-a/tmp/"]}, "phi-a", (PARTIAL, PARTIAL)),
        ({"NotEquals": ["arn:aws:s3:::phi-a/x"]}, "phi-a", (PARTIAL, PARTIAL)),
        ({"NotEquals": ["arn:aws:s3:::other/x"]}, "phi-a", (FULL, FULL)),
        ({"EndsWith": [".json"]}, "phi-a", (PARTIAL, PARTIAL)),
        ({"NotEndsWith": [".tmp"]}, "phi-a", (PARTIAL, PARTIAL)),
        # Operators in one field selector are ANDed.
        ({"StartsWith": ["arn:aws:s3:::"], "NotStartsWith": ["arn:aws:s3:::phi-a/"]}, "phi-a", (NONE, NONE)),
        ({"StartsWith": ["arn:aws:s3:::"], "NotStartsWith": ["arn:aws:s3:::archive/"]}, "phi-a", (FULL, FULL)),
    ],
)
def test_advanced_resources_arn_operators(condition, bucket, expected):
    sel = s3_data({"Field": "resources.ARN", **condition})
    assert cov({"AdvancedEventSelectors": [sel]}, bucket) == expected


def test_selectors_for_other_resource_types_do_not_cover_s3():
    sel = adv({"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": [LAMBDA_FUNCTION]})
    assert cov({"AdvancedEventSelectors": [sel]}) == (NONE, NONE)


def test_management_only_selector_records_no_data_events():
    sel = adv({"Field": "eventCategory", "Equals": ["Management"]})
    assert cov({"AdvancedEventSelectors": [sel]}) == (NONE, NONE)


def test_event_name_filter_is_partial():
    sel = s3_data({"Field": "eventName", "Equals": ["GetObject"]})
    assert cov({"AdvancedEventSelectors": [sel]}) == (PARTIAL, PARTIAL)


def test_event_source_filter_matching_s3_is_full():
    sel = s3_data({"Field": "eventSource", "Equals": ["s3.amazonaws.com"]})
    assert cov({"AdvancedEventSelectors": [sel]}) == (FULL, FULL)


@pytest.mark.parametrize(
    ("rw", "values", "bucket", "expected"),
    [
        ("All", ["arn:aws:s3"], "phi-a", (FULL, FULL)),
        ("All", ["arn:aws:s3:::"], "phi-a", (FULL, FULL)),
        ("ReadOnly", ["arn:aws:s3"], "phi-a", (FULL, NONE)),
        ("WriteOnly", ["arn:aws:s3"], "phi-a", (NONE, FULL)),
        ("All", ["arn:aws:s3:::phi-a/"], "phi-a", (FULL, FULL)),
        ("All", ["arn:aws:s3:::phi-a/"], "phi-b", (NONE, NONE)),
        ("All", ["arn:aws:s3:::phi-a/scans/"], "phi-a", (PARTIAL, PARTIAL)),
    ],
)
def test_basic_selectors(rw, values, bucket, expected):
    response = {
        "EventSelectors": [
            {
                "ReadWriteType": rw,
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": S3_OBJECT, "Values": values}],
            }
        ]
    }
    assert cov(response, bucket) == expected


def test_every_bucket_but_the_trails_own_is_full_when_only_destinations_are_excluded():
    sel = s3_data({"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::archive/"]})
    selectors = EventSelectors.from_api({"AdvancedEventSelectors": [sel]})
    assert DataEventCoverage.of(selectors, S3_OBJECT, all_buckets_space(["archive"])).complete
    # Excluding a prefix wider than the destination drops other buckets too.
    wide = s3_data({"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::arch"]})
    c = DataEventCoverage.of(
        EventSelectors.from_api({"AdvancedEventSelectors": [wide]}), S3_OBJECT, all_buckets_space(["archive"])
    )
    assert (c.read, c.write) == (PARTIAL, PARTIAL)


def test_management_coverage():
    # moto's answer for a trail without custom selectors; AWS sends the default selector itself.
    default = EventSelectors.from_api({"EventSelectors": [], "AdvancedEventSelectors": []})
    assert DataEventCoverage.management(default).complete
    assert DataEventCoverage.management(EventSelectors.from_engine({})).complete
    with pytest.raises(UnknownShape):
        EventSelectors.from_api({"TrailARN": "arn:aws:cloudtrail:us-east-1:1:trail/t"})
    write_only = {"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}
    m = DataEventCoverage.management(EventSelectors.from_api(write_only))
    assert (m.read, m.write) == (NONE, FULL)
    assert m.missing() == "reads not recorded"
    no_kms = {"EventSelectors": [{"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]}
    assert DataEventCoverage.management(EventSelectors.from_api(no_kms)).read is PARTIAL


def test_lambda_and_dynamodb_type_wide_coverage():
    lam = adv({"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": [LAMBDA_FUNCTION]})
    s = EventSelectors.from_api({"AdvancedEventSelectors": [lam]})
    assert DataEventCoverage.of(s, LAMBDA_FUNCTION, all_of_type_space(LAMBDA_FUNCTION)).complete
    assert not DataEventCoverage.of(s, DYNAMODB_TABLE, all_of_type_space(DYNAMODB_TABLE)).complete
    one_fn = {
        "EventSelectors": [
            {"DataResources": [{"Type": LAMBDA_FUNCTION, "Values": ["arn:aws:lambda:us-east-1:1:function:f"]}]}
        ]
    }
    c = DataEventCoverage.of(EventSelectors.from_api(one_fn), LAMBDA_FUNCTION, all_of_type_space(LAMBDA_FUNCTION))
    assert c.read is PARTIAL


def test_engine_and_api_shapes_parse_to_the_same_model():
    engine = {
        "advancedEventSelectors": [
            {
                "name": "s",
                "fieldSelectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": [S3_OBJECT]},
                    {"field": "resources.ARN", "notStartsWiths": ["arn:aws:s3:::archive/"]},
                ],
            }
        ]
    }
    api = {"AdvancedEventSelectors": [s3_data({"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::archive/"]})]}
    assert EventSelectors.from_engine(engine) == EventSelectors.from_api(api)
    assert EventSelectors.from_api(api).value_count() == 3


@pytest.mark.parametrize(
    "response",
    [
        {"AdvancedEventSelectors": [{"Name": "x"}]},
        {"AdvancedEventSelectors": [adv({"Field": "resources.ARN", "Matches": ["arn:*"]})]},
        {"AdvancedEventSelectors": [adv({"Field": "resources.ARN", "StartsWith": "arn:aws:s3"})]},
        {"EventSelectors": [{"ReadWriteType": "Sometimes"}]},
        {"EventSelectors": [{"ReadWriteType": "All"}], "AdvancedEventSelectors": [s3_data()]},
        # botocore drops members it does not know: an operator-less field selector is a newer shape.
        {"AdvancedEventSelectors": [adv({"Field": "resources.ARN"})]},
    ],
)
def test_unknown_shapes_are_refused_not_guessed(response):
    with pytest.raises(UnknownShape):
        EventSelectors.from_api(response)
