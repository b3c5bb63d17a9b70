use super::FILES;
use crate::markdown::{split_fenced, Part};
use crate::runbook::spec;
use crate::runbook::ssr::front_matter;

/// Each starter runbook's slug, front matter and body.
fn starters() -> Vec<(&'static str, front_matter::FrontMatter, &'static str)> {
    FILES
        .iter()
        .map(|&(file, text)| {
            let (front, body) = front_matter::parse(text)
                .unwrap_or_else(|e| panic!("{file}:{}: {}", e.line, e.message));
            (file.strip_suffix(".md").expect("a .md file"), front, body)
        })
        .collect()
}

/// The text of each action block of `body` that becomes a step.
fn blocks(body: &str) -> Vec<(String, u32)> {
    split_fenced(body, spec::FENCE)
        .into_iter()
        .filter_map(|part| match part {
            Part::Fenced { text, fence_line } => Some((text, fence_line)),
            Part::Markdown(_) => None,
        })
        .collect()
}

#[test]
fn the_starter_set_is_the_six_procedures_each_with_front_matter_checklists_and_steps() {
    let slugs: Vec<&str> = starters().iter().map(|(slug, ..)| *slug).collect();
    assert_eq!(
        slugs,
        [
            "deploy-a-release",
            "roll-back",
            "back-up-and-restore-a-database",
            "scale-for-load",
            "respond-to-an-incident",
            "failing-health-check",
        ]
    );
    for (slug, front, body) in starters() {
        assert!(!front.title.is_empty(), "{slug}");
        assert!(!front.tags.is_empty(), "{slug}: tags help search");
        assert!(
            front.services.is_empty(),
            "{slug}: a starter runbook cannot know the installation's services"
        );
        assert!(body.contains("\n- [ ] "), "{slug}: a checklist");
        assert!(!blocks(body).is_empty(), "{slug}: at least one action step");
    }
}

#[test]
fn every_action_block_of_the_starter_set_stands_at_the_top_level_and_becomes_a_step() {
    for (slug, _, body) in starters() {
        let fences = body
            .lines()
            .filter(|l| l.trim_start().starts_with("```opsdeck-action"))
            .count();
        assert_eq!(
            blocks(body).len(),
            fences,
            "{slug}: a block inside a list or a quote stays a code block"
        );
    }
}

#[test]
fn roll_back_checks_health_then_rolls_back_to_the_previous_release_then_checks_again() {
    let (_, _, body) = starters()
        .into_iter()
        .find(|(slug, ..)| *slug == "roll-back")
        .unwrap();
    let rollback = "title: Roll back to the previous release\naction: rollback\nservice: ask\nrelease: previous\n";
    let actions: Vec<String> = blocks(body)
        .iter()
        .map(|(text, _)| {
            if text.trim_end() == rollback.trim_end() {
                return "the rollback".to_string();
            }
            let action = text.lines().find_map(|l| l.strip_prefix("action: "));
            action.unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(
        actions,
        ["health-check", "the rollback", "health-check"],
        "{body}"
    );
}

#[test]
fn every_starter_runbooks_action_blocks_are_valid_steps() {
    let mut invalid = Vec::new();
    for (slug, _, body) in starters() {
        for (text, fence_line) in blocks(body) {
            if let Err(e) = spec::parse(&text, fence_line) {
                invalid.push(format!("{slug}.md, body {e}"));
            }
        }
    }
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}
