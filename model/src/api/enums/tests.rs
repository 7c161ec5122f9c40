//! Unit tests of the wire enumerations: names parse back, unknown values are refused.

use super::*;

#[test]
fn every_value_parses_back_from_its_wire_name() {
    for kind in CredentialKind::ALL {
        assert_eq!(kind.as_str().parse::<CredentialKind>().unwrap(), *kind);
    }
}

#[test]
fn an_unknown_value_names_what_is_expected() {
    let error = "robot".parse::<AgentCategory>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown category \"robot\"; expected one of: coding_endpoint, self_hosted, cloud, saas"
    );
}

#[test]
fn an_audit_target_reads_back_as_written_and_knows_its_page() {
    let target = AuditTarget::new(OwnedKind::Agent, 12);
    assert_eq!(target.to_string(), "agent:12");
    assert_eq!("agent:12".parse::<AuditTarget>().unwrap(), target);
    assert_eq!(target.kind.node(), Some(NodeKind::Agent));
    assert_eq!(
        "ai_app:copilot".parse::<AuditTarget>().unwrap(),
        AuditTarget::new(TargetKind::AiApp, "copilot")
    );
    assert_eq!(TargetKind::Account.node(), None);
    assert!("robot:1".parse::<AuditTarget>().is_err());
    assert!("settings".parse::<AuditTarget>().is_err());
}
