use super::*;
use proptest::prelude::*;
use serde_json::json;

fn def(code: &str, kind: AttrKind) -> AttrDef {
    AttrDef::sample(1, CiClassId(1), code, kind)
}

fn input(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn errors(defs: &[&AttrDef], v: Value) -> Vec<(String, String)> {
    match validate(defs, &input(v)) {
        Err(DomainError::Validation(errs)) => errs.into_iter().map(|e| (e.field, e.code)).collect(),
        Err(other) => panic!("{other:?}"),
        Ok(_) => Vec::new(),
    }
}

fn e(field: &str, code: &str) -> (String, String) {
    (field.to_string(), code.to_string())
}

#[test]
fn values_are_normalised() {
    let host = AttrDef { pattern: Some(r"^[a-z0-9.-]+$".into()), ..def("hostname", AttrKind::Text) };
    let cpu = AttrDef { min_value: Some(1.0), max_value: Some(256.0), ..def("cpu", AttrKind::Integer) };
    let ip = def("ip", AttrKind::Ip);
    let net = def("net", AttrKind::Cidr);
    let up = def("up", AttrKind::Boolean);
    let day = def("day", AttrKind::Date);
    let tb = def("tb", AttrKind::Decimal);
    let kind = AttrDef {
        enum_values: vec![EnumValue { code: "switch".into(), name: "交换机".into(), name_en: "Switch".into() }],
        ..def("kind", AttrKind::Enum)
    };
    let owner = def("owner", AttrKind::UserRef);
    let extra = def("extra", AttrKind::Json);
    let defs = [&host, &cpu, &ip, &net, &up, &day, &tb, &kind, &owner, &extra];
    let out = validate(
        &defs,
        &input(json!({"hostname": " db01.bank ", "cpu": "16", "ip": "2001:DB8::1", "net": "10.1.0.0/16", "up": "on",
            "day": "2024-02-29", "tb": "1.5", "kind": "switch", "owner": 7, "extra": "{\"a\": [1]}"})),
    )
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({"hostname": "db01.bank", "cpu": 16, "ip": "2001:db8::1", "net": "10.1.0.0/16", "up": true,
            "day": "2024-02-29", "tb": 1.5, "kind": "switch", "owner": 7, "extra": {"a": [1]}})
    );
}

#[test]
fn each_bad_value_is_named() {
    let host = AttrDef { required: true, pattern: Some(r"^[a-z]+$".into()), ..def("hostname", AttrKind::Text) };
    let cpu = AttrDef { min_value: Some(1.0), max_value: Some(256.0), ..def("cpu", AttrKind::Integer) };
    let ip = def("ip", AttrKind::Ip);
    let net = def("net", AttrKind::Cidr);
    let day = def("day", AttrKind::Date);
    let kind = AttrDef { enum_values: vec![EnumValue { code: "switch".into(), ..EnumValue::default() }], ..def("kind", AttrKind::Enum) };
    let serial = AttrDef { required: true, ..def("serial", AttrKind::Text) };
    let defs = [&host, &cpu, &ip, &net, &day, &kind, &serial];
    let got = errors(
        &defs,
        json!({"hostname": "DB_01", "cpu": 0, "ip": "10.0.0.256", "net": "10.1.0.1/16", "day": "2023-02-29",
            "kind": "router", "serial": "   ", "nope": 1}),
    );
    assert_eq!(
        got,
        vec![
            e("attributes.nope", "unknown_attribute"),
            e("attributes.hostname", "pattern_mismatch"),
            e("attributes.cpu", "below_min"),
            e("attributes.ip", "invalid_ip"),
            e("attributes.net", "invalid_cidr"),
            e("attributes.day", "invalid_date"),
            e("attributes.kind", "not_allowed_value"),
            e("attributes.serial", "required"),
        ]
    );
    assert_eq!(errors(&[&cpu], json!({"cpu": 257})), vec![e("attributes.cpu", "above_max")]);
    assert_eq!(errors(&[&cpu], json!({"cpu": 1.5})), vec![e("attributes.cpu", "invalid_integer")]);
    assert_eq!(errors(&[&cpu], json!({"cpu": [1]})), vec![e("attributes.cpu", "invalid_integer")]);
}

#[test]
fn a_pattern_that_does_not_compile_refuses_values() {
    let broken = AttrDef { pattern: Some("(".into()), ..def("x", AttrKind::Text) };
    assert_eq!(errors(&[&broken], json!({"x": "anything"})), vec![e("attributes.x", "pattern_mismatch")]);
}

#[test]
fn definitions_are_checked() {
    let ok = AttrInput {
        code: "rack_unit".into(),
        name: "机柜 U 位".into(),
        kind: "integer".into(),
        min_value: Some(1.0),
        max_value: Some(60.0),
        ..AttrInput::default()
    };
    assert_eq!(check_def(&ok).map(|(k, _)| k), Ok(AttrKind::Integer));
    let bad = AttrInput {
        code: "Rack Unit".into(),
        name: " ".into(),
        kind: "integer".into(),
        pattern: Some("(".into()),
        min_value: Some(5.0),
        max_value: Some(1.0),
        enum_values: vec![EnumValue::default()],
        ref_class_id: Some(CiClassId(1)),
        ..AttrInput::default()
    };
    let Err(DomainError::Validation(errs)) = check_def(&bad) else { panic!("expected errors") };
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["code", "name", "pattern", "max_value", "enum_values", "ref_class_id"]);
    let no_choices = AttrInput { code: "t".into(), name: "类型".into(), kind: "enum".into(), ..AttrInput::default() };
    assert!(check_def(&no_choices).is_err());
    let bad_pattern =
        AttrInput { code: "t".into(), name: "名".into(), kind: "text".into(), pattern: Some("[".into()), ..AttrInput::default() };
    assert!(check_def(&bad_pattern).is_err());
}

#[test]
fn cidr_needs_a_clear_host_part() {
    assert_eq!(cidr("10.0.0.0/8").as_deref(), Some("10.0.0.0/8"));
    assert_eq!(cidr("10.0.0.1/32").as_deref(), Some("10.0.0.1/32"));
    assert_eq!(cidr("0.0.0.0/0").as_deref(), Some("0.0.0.0/0"));
    assert_eq!(cidr("2001:db8::/32").as_deref(), Some("2001:db8::/32"));
    assert_eq!(cidr("10.0.0.1/8"), None);
    assert_eq!(cidr("10.0.0.0/33"), None);
    assert_eq!(cidr("10.0.0.0"), None);
}

proptest! {
    /// No input panics the validation, and what it accepts it accepts again unchanged
    /// (normalising twice is normalising once).
    #[test]
    fn validation_is_total_and_idempotent(text in "\\PC{0,20}", n in any::<i64>(), b in any::<bool>(), pick in 0usize..5) {
        let kinds = [AttrKind::Text, AttrKind::Integer, AttrKind::Ip, AttrKind::Date, AttrKind::Boolean];
        let d = AttrDef { min_value: Some(-10.0), max_value: Some(1e12), ..def("v", kinds[pick]) };
        for raw in [json!(text.clone()), json!(n), json!(b), json!(null), json!([text.clone()])] {
            if let Ok(once) = validate(&[&d], &input(json!({"v": raw}))) {
                let twice = validate(&[&d], &once);
                prop_assert_eq!(twice.as_ref().ok(), Some(&once));
            }
        }
    }
}
