//! Unit tests of activity: networks, and laptops and people told by their clients.

use super::*;

#[test]
fn networks_are_a_v4_slash_24_a_v6_slash_48_or_a_service() {
    assert_eq!(network("203.0.113.77"), ("203.0.113.0/24".into(), true));
    assert_eq!(
        network("2001:db8:abcd:12::1"),
        ("2001:db8:abcd::/48".into(), true)
    );
    assert_eq!(
        network("lambda.amazonaws.com"),
        ("lambda.amazonaws.com".into(), false)
    );
}

#[test]
fn laptops_and_people_are_told_by_their_clients() {
    assert_eq!(
        laptop_marker("aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64"),
        Some("macOS")
    );
    assert_eq!(
        laptop_marker("claude-code/1.0 aws-sdk-js/3.600"),
        Some("Claude Code")
    );
    assert_eq!(
        laptop_marker("aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64"),
        None
    );
    assert_eq!(human("signin:ConsoleLogin", None), Some("console sign-in"));
    assert_eq!(
        human("s3:ListBuckets", Some("Mozilla/5.0 (X11)")),
        Some("browser")
    );
    assert_eq!(human("s3:ListBuckets", Some("Boto3/1.34")), None);
}
