//! The shipped Prometheus alerting rules (`deploy/prometheus/yunwei-rules.yml`) pass
//! `promtool check rules` and their unit tests (`promtool test rules`). promtool (Debian
//! `prometheus`) is installed when missing: the test never passes by not running.

use std::path::PathBuf;
use std::process::Command;

const BINARY: &str = "promtool";

fn run(dir: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(BINARY).args(args).current_dir(dir).output().unwrap_or_else(|e| panic!("{BINARY} {args:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{BINARY} {args:?} failed:\n{text}");
    text
}

#[test]
fn the_shipped_alerting_rules_pass_promtool_check_and_their_unit_tests() {
    let need =
        yunwei_testkit::test_setup::Need { package: "prometheus", present: || Command::new(BINARY).arg("--version").output().is_ok() };
    yunwei_testkit::test_setup::ensure("the Prometheus rules test (promtool)", &[need]).unwrap_or_else(|e| panic!("{e}"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus");
    let checked = run(&dir, &["check", "rules", "yunwei-rules.yml"]);
    assert!(checked.contains("SUCCESS: 11 rules found"), "{checked}");
    let tested = run(&dir, &["test", "rules", "yunwei-rules.test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
    // Every SPEC MON indicator has a rule, and every rule says its severity and indicator.
    let rules = std::fs::read_to_string(dir.join("yunwei-rules.yml")).expect("rules file");
    for indicator in
        ["cpu", "memory", "disk_io", "bandwidth", "transaction_volume", "response_time", "success_rate", "packet_loss", "backup_status"]
    {
        assert!(rules.contains(&format!("indicator: {indicator}\n")), "no rule for {indicator}");
    }
    assert_eq!(rules.matches("- alert:").count(), rules.matches("indicator:").count());
    assert_eq!(rules.matches("- alert:").count(), rules.matches("severity: ").count());
}

/// The Zabbix media type posts to the generic intake with the event's id as the dedup key,
/// its value as the status, its numeric severity mapped and its tags as labels.
#[test]
fn the_zabbix_media_type_carries_the_event_macros_to_the_generic_intake() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/zabbix/yunwei-media-type.yaml");
    let text = std::fs::read_to_string(path).expect("media type file");
    for needed in ["'{EVENT.ID}'", "'{EVENT.VALUE}'", "'{EVENT.NSEVERITY}'", "'{EVENT.TAGS}'", "'{EVENT.ACK.STATUS}'", "type: WEBHOOK"] {
        assert!(text.contains(needed), "{needed} missing");
    }
    for script in [
        "'/integrations/generic'",
        "'X-Yunwei-Token: '",
        "dedup_key: 'zabbix-' + p.event_id",
        "p.event_value === '0' ? 'resolved' : 'firing'",
    ] {
        assert!(text.contains(script), "{script} missing from the script");
    }
    assert!(!text.contains('\t'), "YAML takes no tabs");
}
