use super::*;

/// Parses `text` as a block whose fence is on line 10.
fn step(text: &str) -> Result<Step, SpecError> {
    parse(text, 10)
}

fn error(text: &str) -> (u32, String) {
    let e = step(text).expect_err(text);
    (e.line, e.message)
}

#[test]
fn every_action_kind_parses_with_its_keys() {
    let cases = [
        (
            "action: deploy\nservice: production/web\ntag: v1.2.3\n",
            StepAction::Deploy {
                service: Input::Fixed("production/web".into()),
                tag: Input::Fixed("v1.2.3".into()),
            },
        ),
        (
            "action: deploy\nservice: production/web\ntag: ask\n",
            StepAction::Deploy {
                service: Input::Fixed("production/web".into()),
                tag: Input::Ask,
            },
        ),
        (
            "action: rollback\nservice: production/web\nrelease: previous\n",
            StepAction::Rollback {
                service: Input::Fixed("production/web".into()),
                release: ReleaseChoice::Previous,
            },
        ),
        (
            "action: rollback\nservice: staging/api\nrelease: #4\n",
            StepAction::Rollback {
                service: Input::Fixed("staging/api".into()),
                release: ReleaseChoice::Number(4),
            },
        ),
        (
            "action: scale\nservice: production/web\nreplicas: 3\n",
            StepAction::Scale {
                service: Input::Fixed("production/web".into()),
                replicas: Input::Fixed(3),
            },
        ),
        (
            "action: scale\nservice: production/web\nreplicas: ask\n",
            StepAction::Scale {
                service: Input::Fixed("production/web".into()),
                replicas: Input::Ask,
            },
        ),
        (
            "action: restart\nservice: production/web\n",
            StepAction::Restart {
                service: Input::Fixed("production/web".into()),
            },
        ),
        (
            "action: backup\ntarget: main-db\n",
            StepAction::Backup {
                target: Input::Fixed("main-db".into()),
            },
        ),
        (
            "action: test-restore\ntarget: main-db\nbackup: newest\n",
            StepAction::TestRestore {
                target: Input::Fixed("main-db".into()),
            },
        ),
        (
            "action: test-restore\ntarget: main-db\n",
            StepAction::TestRestore {
                target: Input::Fixed("main-db".into()),
            },
        ),
        (
            "action: health-check\nservice: production/web\n",
            StepAction::HealthCheck {
                service: Input::Fixed("production/web".into()),
            },
        ),
    ];
    for (text, action) in cases {
        assert_eq!(
            step(text),
            Ok(Step {
                action,
                title: None,
                approval: false,
            }),
            "{text}"
        );
    }
}

#[test]
fn keys_come_in_any_order_around_blank_lines_comments_and_a_title() {
    let text = "\n# roll back the web tier\nrelease:previous\n  service :  production/web  \n\ntitle: Roll back <web> now\naction: rollback\n";
    assert_eq!(
        step(text),
        Ok(Step {
            action: StepAction::Rollback {
                service: Input::Fixed("production/web".into()),
                release: ReleaseChoice::Previous,
            },
            title: Some("Roll back <web> now".into()),
            approval: false,
        })
    );
}

#[test]
fn an_unknown_action_is_named_on_its_line() {
    let (line, message) = error("service: production/web\naction: reboot\n");
    assert_eq!(line, 12);
    assert!(message.contains("unknown action `reboot`"), "{message}");
    assert!(
        message.contains("health-check"),
        "lists the actions: {message}"
    );
}

#[test]
fn a_block_without_action_is_reported_at_its_fence() {
    assert_eq!(error("service: production/web\n").0, 10);
    assert_eq!(error("").0, 10);
}

#[test]
fn a_missing_key_is_reported_at_the_fence_naming_the_key() {
    let (line, message) = error("action: rollback\nservice: production/web\n");
    assert_eq!(line, 10);
    assert!(message.contains("`rollback` needs `release:`"), "{message}");
    let (_, message) = error("action: backup\n");
    assert!(message.contains("needs `target:`"), "{message}");
}

#[test]
fn a_key_the_action_does_not_take_is_named_with_the_ones_it_does() {
    let (line, message) = error("action: restart\nservice: production/web\nreplicas: 3\n");
    assert_eq!(line, 13);
    assert!(
        message.contains("`replicas` is not a key of `restart`"),
        "{message}"
    );
    assert!(message.contains("service"), "{message}");
}

#[test]
fn approval_required_is_read_and_anything_else_is_refused_on_its_line() {
    let step = step("action: restart\nservice: production/web\napproval: required\n");
    assert!(step.expect("valid").approval);
    let none = super::parse(
        "action: restart\nservice: production/web\napproval: none\n",
        10,
    );
    assert!(!none.expect("valid").approval);
    let (line, message) = error("action: restart\nservice: production/web\napproval: yes\n");
    assert_eq!(line, 13);
    assert!(
        message.contains("neither `required` nor `none`"),
        "{message}"
    );
    let (line, message) =
        error("action: health-check\nservice: production/web\napproval: required\n");
    assert_eq!(line, 13);
    assert!(message.contains("needs no approval"), "{message}");
}

#[test]
fn ask_leaves_the_service_or_target_to_the_reader() {
    let rollback = step("action: rollback\nservice: ask\nrelease: previous\n").expect("valid");
    assert_eq!(rollback.action.subject(), &Input::Ask);
    assert_eq!(
        rollback.action.subject_or("the service typed"),
        "the service typed"
    );
    let backup = step("action: backup\ntarget: ask\n").expect("valid");
    assert_eq!(backup.action.subject(), &Input::Ask);
    assert!(backup.action.on_target());
    let fixed = step("action: restart\nservice: production/web\n").expect("valid");
    assert_eq!(fixed.action.subject_or("x"), "production/web");
}

#[test]
fn a_repeated_key_names_both_lines() {
    let (line, message) =
        error("action: scale\nservice: production/web\nreplicas: 2\nreplicas: 3\n");
    assert_eq!(line, 14);
    assert!(
        message.contains("`replicas` is given twice (first on line 13)"),
        "{message}"
    );
}

#[test]
fn a_line_that_is_not_key_value_is_refused_on_its_line() {
    let (line, message) = error("action: restart\n\nservice production/web\n");
    assert_eq!(line, 13);
    assert!(message.contains("is not `key: value`"), "{message}");
    let (_, message) = error("action: restart\nService: production/web\n");
    assert!(message.contains("`Service` is not a key"), "{message}");
    let (line, message) = error("action: restart\nservice:\n");
    assert_eq!((line, message.as_str()), (12, "`service` has no value"));
}

#[test]
fn bad_values_are_refused_on_their_line_saying_what_fits() {
    let bad = [
        ("action: restart\nservice: web\n", 12, "environment/name"),
        (
            "action: restart\nservice: Prod/web\n",
            12,
            "environment/name",
        ),
        (
            "action: restart\nservice: production/web/x\n",
            12,
            "environment/name",
        ),
        (
            "action: deploy\nservice: production/web\ntag: v1 latest\n",
            13,
            "image tag",
        ),
        (
            "action: deploy\nservice: production/web\ntag: -v1\n",
            13,
            "image tag",
        ),
        (
            "action: rollback\nservice: production/web\nrelease: last\n",
            13,
            "previous",
        ),
        (
            "action: rollback\nservice: production/web\nrelease: 0\n",
            13,
            "release number",
        ),
        (
            "action: scale\nservice: production/web\nreplicas: 51\n",
            13,
            "0 to 50",
        ),
        (
            "action: scale\nservice: production/web\nreplicas: -1\n",
            13,
            "0 to 50",
        ),
        ("action: backup\ntarget: Main DB\n", 12, "nor a name"),
        (
            "action: test-restore\ntarget: main\nbackup: 12\n",
            13,
            "only `newest`",
        ),
    ];
    for (text, want_line, words) in bad {
        let (line, message) = error(text);
        assert_eq!(line, want_line, "{text}: {message}");
        assert!(message.contains(words), "{text}: {message}");
    }
}

#[test]
fn a_title_longer_than_the_limit_is_refused() {
    let text = format!(
        "action: restart\nservice: a/b\ntitle: {}\n",
        "x".repeat(MAX_TITLE + 1)
    );
    assert_eq!(error(&text).0, 13);
}

#[test]
fn errors_read_with_their_line() {
    let e = SpecError {
        line: 7,
        message: "`x` has no value".into(),
    };
    assert_eq!(e.to_string(), "line 7: `x` has no value");
}
