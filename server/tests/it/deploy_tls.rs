//! A Docker endpoint reached over TLS with a client certificate, as
//! `dockerd --tlsverify` serves it. The engine here listens only on its
//! unix socket, so a TLS server on loopback that demands a certificate
//! from the test CA forwards each connection to it: a real protocol
//! server, with real certificates, in front of the real engine.

use crate::support::deploy::*;
use crate::support::{signed_in, state};
use app::auth::Role;
use axum::http::StatusCode;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use sqlx::PgPool;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::{self, pki_types};

/// A CA with a server certificate for 127.0.0.1 and a client certificate.
struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    server: (rcgen::Certificate, KeyPair),
}

fn signed(ca: &CertifiedIssuer<'static, KeyPair>, names: &[&str]) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, ca)
        .unwrap();
    (cert, key)
}

fn new_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

impl Pki {
    fn new() -> Pki {
        let ca = new_ca();
        let server = signed(&ca, &["127.0.0.1", "localhost"]);
        Pki { ca, server }
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` of a client certificate
    /// issued by `ca` into `dir`, as `docker --tlsverify` expects them.
    fn client_files(ca: &CertifiedIssuer<'static, KeyPair>, trusted: &Pki, dir: &Path) {
        let (cert, key) = signed(ca, &["opsdeck"]);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("ca.pem"), trusted.ca.pem()).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    }

    fn server_config(&self) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca.der().clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .unwrap();
        let key = pki_types::PrivateKeyDer::try_from(self.server.1.serialize_der()).unwrap();
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![self.server.0.der().clone()], key)
            .unwrap()
    }
}

/// Serves TLS on a loopback port, forwarding to the engine's unix socket.
async fn tls_proxy(config: rustls::ServerConfig) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let socket = testkit::docker_host()
        .trim_start_matches("unix://")
        .to_string();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, socket) = (acceptor.clone(), socket.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut engine) = tokio::net::UnixStream::connect(&socket).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut engine).await;
                }
            });
        }
    });
    port
}

fn endpoint_form(name: &str, port: u16, dir: &Path) -> String {
    let path = |f: &str| dir.join(f).display().to_string().replace('/', "%2F");
    format!(
        "name={name}&url=tcp%3A%2F%2F127.0.0.1%3A{port}&tls_ca={}&tls_cert={}&tls_key={}",
        path("ca.pem"),
        path("cert.pem"),
        path("key.pem")
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn a_tls_endpoint_with_a_client_certificate_runs_deployments(pool: PgPool) {
    let Some(docker) = testkit::docker_or_skip("deploy_tls").await else {
        return;
    };
    if !testkit::docker_host().starts_with("unix://") {
        return testkit::unavailable("deploy_tls", "the proxy forwards to a unix socket");
    }
    let _guard = Containers::of(&pool).await;
    build_images(&docker, "opsdeck-test/tls").await;
    let pki = Pki::new();
    let port = tls_proxy(pki.server_config()).await;
    let dir = tempfile::tempdir().unwrap();
    Pki::client_files(&pki.ca, &pki, &dir.path().join("good"));
    Pki::client_files(&new_ca(), &pki, &dir.path().join("stranger"));

    let s = state(pool.clone(), &testkit::docker_host());
    let mut root = signed_in(&s, "root", &[Role::Admin]).await;
    for (name, files) in [("secure", "good"), ("stranger", "stranger")] {
        let reply = root
            .post_form(
                "/api/create_endpoint",
                &endpoint_form(name, port, &dir.path().join(files)),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let half = format!("name=half&url=tcp%3A%2F%2F127.0.0.1%3A{port}&tls_ca=%2Fetc%2Fhostname");
    let refused = root.post_form("/api/create_endpoint", &half).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("tls_cert"), "{}", refused.body);

    let list = root.post_form("/api/list_endpoints", "").await;
    let endpoints: Vec<app::deploy::EndpointView> = serde_json::from_str(&list.body).unwrap();
    let by_name = |n: &str| endpoints.iter().find(|e| e.name == n).unwrap();
    assert!(
        by_name("secure").reachable && by_name("secure").tls,
        "{:?}",
        by_name("secure")
    );
    assert!(
        !by_name("stranger").reachable,
        "a certificate of another CA is refused"
    );

    let env = root
        .post_form("/api/create_environment", "name=secure&endpoint=secure")
        .await;
    assert_eq!(env.status, StatusCode::OK, "{}", env.body);
    let form = "environment=secure&name=web&image=opsdeck-test%2Ftls&port=8080&health_kind=http\
        &health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1&health_retries=2\
        &health_start_period_s=0&replicas=1&stop_timeout_s=1";
    assert!(root.post_form("/api/save_service", form).await.ok());
    let d = started(&deploy(&mut root, "secure/web", "v1").await);
    assert_eq!(
        finished(&pool, d.deployment).await.0,
        "succeeded",
        "{}",
        steps(&pool, d.deployment).await
    );
    assert_eq!(pages(&docker, &pool).await, vec!["hello from v1"]);
}
