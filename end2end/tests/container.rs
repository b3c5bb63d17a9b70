//! Opsdeck itself as a container, as people run it: the image built from
//! the Dockerfile (runtime target, from the build the browser tests run,
//! on a Debian base made locally), run as uid 10001 with the Docker socket, healthy by its own
//! HEALTHCHECK, then used over HTTP: first admin, sign-in, a deploy whose
//! HTTP health check Opsdeck probes from inside its container, and a backup
//! made with the image's own pg_dump. Also the compose and stack files.

use end2end::container::{
    docker, ensure_base_image, prebuilt_context, repo_root, Made, BASE_IMAGE,
};
use end2end::eventually;
use serde_json::Value;
use std::time::{Duration, Instant};
use testkit::images::WebImage;

const PASSWORD: &str = "correct horse battery staple";

/// A cookie-keeping HTTP client of the container's published port, sending
/// Opsdeck's own origin like its pages do.
struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn new(base: &str) -> Http {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Http {
            client,
            base: base.to_string(),
        }
    }

    /// Posts a server-fn form; its status and body.
    async fn post(&self, function: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}/api/{function}", self.base))
            .header("Origin", &self.base)
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts and expects success (a server fn redirecting counts as one).
    async fn ok(&self, function: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.post(function, form).await;
        assert!((200..400).contains(&status), "{function}: {status} {body}");
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }

    /// Polls a read function until `field` leaves the running states.
    async fn until_done(
        &self,
        function: &str,
        form: &[(&str, &str)],
        pick: fn(&Value) -> &Value,
    ) -> Value {
        eventually(function, Duration::from_secs(120), || async {
            let v = self.ok(function, form).await;
            let state = pick(&v)["state"].as_str().unwrap_or("").to_string();
            (state != "running" && state != "queued").then_some(v)
        })
        .await
    }
}

fn build_image(tag: &str) -> Duration {
    let context = prebuilt_context();
    let started = Instant::now();
    let arg = format!("RUNTIME_IMAGE={BASE_IMAGE}");
    let ctx = context.path().to_str().unwrap();
    let args: [&str; 8] = [
        "build",
        "--target",
        "runtime",
        "--build-arg",
        &arg,
        "-t",
        tag,
        ctx,
    ];
    if let Err(e) = docker(&args) {
        panic!("the image did not build: {e}");
    }
    started.elapsed()
}

fn wait_healthy(container: &str) {
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        let status = docker(&["inspect", "-f", "{{.State.Health.Status}}", container]).unwrap();
        if status == "healthy" {
            return;
        }
        let logs = || docker(&["logs", "--tail", "30", container]).unwrap_or_default();
        assert!(
            status != "unhealthy",
            "the container is unhealthy: {}",
            logs()
        );
        assert!(
            Instant::now() < end,
            "not healthy after 120 s ({status}): {}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The network names a container is attached to.
fn networks_of(container: &str) -> String {
    let format = "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}";
    docker(&["inspect", "-f", format, container]).unwrap()
}

#[tokio::test]
async fn opsdeck_in_its_container_deploys_a_service_and_backs_up_with_its_own_pg_dump() {
    let test = "opsdeck_in_its_container";
    let Some(engine) = testkit::docker_or_skip(test).await else {
        return;
    };
    let run = std::process::id();
    let (image, name, env) = (
        format!("opsdeck-e2e/opsdeck:ct{run}"),
        format!("opsdeck-ct{run}"),
        format!("ct{run}"),
    );
    let web = format!("opsdeck-e2e/ct{run}-web");
    let web_v1 = format!("{web}:v1");
    let mut made = Made::default();
    made.tags.push(web_v1.clone());
    made.opsdeck_image = Some(image.clone());
    made.containers.push(name.clone());
    made.container_prefixes.push(format!("{env}-ctweb-"));
    made.networks.push(format!("opsdeck-{env}"));

    ensure_base_image();
    let built_in = build_image(&image);
    let user = docker(&["inspect", "-f", "{{.Config.User}}", &image]).unwrap();
    assert_eq!(user, "10001", "the image runs as its unprivileged user");
    eprintln!("image built in {built_in:?}");

    let socket_group = std::fs::metadata("/var/run/docker.sock")
        .map(|m| std::os::unix::fs::MetadataExt::gid(&m).to_string())
        .expect("the Docker socket");
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--user",
        "10001",
        "--group-add",
        &socket_group,
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-p",
        "127.0.0.1::3000",
        // Its own HEALTHCHECK, checked more often than the image's 10 s.
        "--health-interval",
        "1s",
        &image,
    ])
    .unwrap();
    wait_healthy(&name);
    let port = docker(&["port", &name, "3000/tcp"]).unwrap();
    let base = format!("http://{}", port.lines().next().unwrap());

    // The first admin through /setup, then a real sign-in in a new session.
    let setup = Http::new(&base);
    let admin = [
        ("username", "root"),
        ("display_name", "Root"),
        ("password", PASSWORD),
        ("confirm", PASSWORD),
    ];
    setup.ok("setup", &admin).await;
    let http = Http::new(&base);
    let (status, _) = http.post("list_services", &[]).await;
    assert_eq!(status, 401, "signed out, the API refuses");
    let (status, body) = http
        .post(
            "login",
            &[("username", "root"), ("password", "wrong password here")],
        )
        .await;
    assert!(
        status >= 400,
        "a wrong password signs nobody in: {status} {body}"
    );
    http.ok("login", &[("username", "root"), ("password", PASSWORD)])
        .await;
    http.ok("list_services", &[]).await;

    // A service in an environment of its own (its network is the test's).
    let page = WebImage {
        tag: &web_v1,
        content: "hello from the container test\n",
        healthy: true,
        exits_at_start: false,
    };
    page.build(&engine).await.unwrap();
    http.ok(
        "create_environment",
        &[("name", &env), ("endpoint", "local")],
    )
    .await;
    let service_form = [
        ("environment", env.as_str()),
        ("name", "ctweb"),
        ("image", web.as_str()),
        ("port", "8080"),
        ("health_kind", "http"),
        ("health_check", "/healthz"),
        ("health_interval_s", "1"),
        ("health_timeout_s", "1"),
        ("health_retries", "3"),
        ("health_start_period_s", "0"),
        ("replicas", "1"),
        ("stop_timeout_s", "1"),
    ];
    http.ok("save_service", &service_form).await;
    let service = format!("{env}/ctweb");
    let started = http
        .ok("deploy", &[("service", &service), ("tag", "v1")])
        .await;
    let id = started["deployment"]
        .as_i64()
        .expect("a deployment id")
        .to_string();
    let done = http
        .until_done("read_deployment", &[("id", &id)], |v| &v["deployment"])
        .await;
    let steps = done["steps"].to_string();
    assert_eq!(done["deployment"]["state"], "succeeded", "{done}");
    assert!(
        steps.contains("GET /healthz → HTTP 200"),
        "Opsdeck probed the replica itself: {steps}"
    );
    assert!(
        networks_of(&name).contains(&format!("opsdeck-{env}")),
        "Opsdeck joined the environment network"
    );

    // A backup of its own embedded database, by the image's pg_dump.
    let url = docker(&["exec", &name, "opsdeck", "db", "start"]).unwrap();
    let url = url
        .lines()
        .next()
        .expect("the embedded database's URL")
        .to_string();
    http.ok(
        "create_backup_target",
        &[("name", "self"), ("url", &url), ("rpo_hours", "24")],
    )
    .await;
    let started = http.ok("run_backup", &[("target", "self")]).await;
    let id = started["backup"].as_i64().expect("a backup id").to_string();
    let backup = http.until_done("read_backup", &[("id", &id)], |v| v).await;
    assert_eq!(backup["state"], "succeeded", "{backup}");
    assert!(backup["size_bytes"].as_i64().unwrap_or(0) > 0, "{backup}");
    let pg_dump = docker(&["exec", &name, "pg_dump", "--version"]).unwrap();
    assert!(
        backup["server_version"]
            .as_str()
            .is_some_and(|v| pg_dump.contains(v.split('.').next().unwrap_or("?"))),
        "dumped by the image's {pg_dump}: {backup}"
    );
    drop(made);
    assert!(
        docker(&["inspect", &name]).is_err(),
        "the container was removed"
    );
}

/// The compose file and the stack file as their tools read them: valid,
/// and holding the socket's group for uid 10001 (without it Opsdeck in the
/// container cannot reach the engine).
#[test]
fn the_compose_and_stack_files_are_valid_and_give_opsdeck_the_socket() {
    let root = repo_root();
    let env = [
        ("POSTGRES_PASSWORD", "pw"),
        ("OPSDECK_SECRET_KEY", "key"),
        ("DOCKER_GID", "4242"),
    ];
    let render = |what: &str, program: &str, args: &[&str]| -> Option<String> {
        let mut cmd = std::process::Command::new(program);
        cmd.args(args).envs(env).current_dir(&root);
        match cmd.output() {
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{what} is not valid: {stderr}");
                Some(String::from_utf8_lossy(&out.stdout).into_owned())
            }
            Err(e) => {
                testkit::unavailable(what, &format!("cannot run {program}: {e}"));
                None
            }
        }
    };
    if let Some(compose) = render(
        "compose.yaml",
        "docker-compose",
        &["-f", "compose.yaml", "config"],
    ) {
        assert!(
            compose.contains("- '4242'"),
            "group_add holds the socket's group: {compose}"
        );
        assert!(
            compose.contains("postgres://opsdeck:pw@postgres:5432/opsdeck"),
            "{compose}"
        );
    }
    let stack = ["stack", "config", "-c", "deploy/opsdeck-stack.yaml"];
    if let Some(stack) = render("deploy/opsdeck-stack.yaml", "docker", &stack) {
        assert!(
            stack.contains("user: 10001:4242"),
            "the socket's group: {stack}"
        );
        assert!(stack.contains("node.role == manager"), "{stack}");
    }
}
