//! The embedded PostgreSQL cluster, started from nothing with the real binaries.

use opsdeck_server::embedded_pg::{is_alive, EmbeddedPostgres};
use sqlx::{ConnectOptions, Connection};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

async fn select_one(cluster: &EmbeddedPostgres) -> i32 {
    let mut conn = cluster.connect_options().connect().await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    one
}

fn wait_until_dead(pid: i32) {
    let end = Instant::now() + Duration::from_secs(10);
    while is_alive(pid) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!is_alive(pid), "postmaster {pid} still alive");
}

#[tokio::test]
async fn embedded_cluster_starts_from_nothing_and_survives_a_killed_postmaster() {
    // Under /tmp with mode 0755: when the tests run as root, the cluster runs
    // as an unprivileged user who must be able to reach the folder.
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-pg-test")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = dir.path().join("data");

    let running = EmbeddedPostgres::locate(&data_dir)
        .unwrap()
        .start()
        .await
        .unwrap();
    assert!(running.started_here);
    assert!(running.cluster.pgdata().join("PG_VERSION").exists());
    assert_eq!(select_one(&running.cluster).await, 1);
    let pid = running.cluster.postmaster_pid().unwrap();
    running.stop().await.unwrap();
    wait_until_dead(pid);

    // Second start reuses the initialized cluster.
    let running = EmbeddedPostgres::locate(&data_dir)
        .unwrap()
        .start()
        .await
        .unwrap();
    assert_eq!(select_one(&running.cluster).await, 1);
    let pid = running.cluster.postmaster_pid().unwrap();

    // A crash leaves postmaster.pid behind; the next start must cope.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_until_dead(pid);
    assert!(
        running.cluster.pgdata().join("postmaster.pid").exists(),
        "kill -9 leaves the pid file"
    );

    let restarted = EmbeddedPostgres::locate(&data_dir)
        .unwrap()
        .start()
        .await
        .unwrap();
    assert!(restarted.started_here);
    assert_ne!(restarted.cluster.postmaster_pid(), Some(pid));
    assert_eq!(select_one(&restarted.cluster).await, 1);
    restarted.stop().await.unwrap();
}

#[tokio::test]
async fn a_cluster_already_running_is_adopted_and_left_running() {
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-pg-adopt")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = dir.path().join("data");
    let first = EmbeddedPostgres::locate(&data_dir)
        .unwrap()
        .start()
        .await
        .unwrap();

    let second = EmbeddedPostgres::locate(&data_dir)
        .unwrap()
        .start()
        .await
        .unwrap();
    assert!(
        !second.started_here,
        "a second user of the folder must not start another postmaster"
    );
    second.stop().await.unwrap();
    assert_eq!(
        select_one(&first.cluster).await,
        1,
        "stopping an adopted cluster leaves it running"
    );
    first.stop().await.unwrap();
}
