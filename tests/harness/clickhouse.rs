//! A real ClickHouse server for the tests of the scale-out store: `clickhouse-server`
//! (installed by `.ci/setup --tests`) started once per test process on free ports, with
//! its data in a temporary directory, and stopped when the process ends. Each test
//! works in a database of its own.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct ClickHouse {
    /// The HTTP interface, e.g. `http://127.0.0.1:41234/`.
    pub url: String,
}

/// A cluster the server knows: two shards, both this server, each in a database of its
/// own (so a `Distributed` table over it really splits rows, without ZooKeeper).
pub const CLUSTER: &str = "spur_two_shards";

/// The database of each shard of [`CLUSTER`].
pub const SHARD_DATABASES: [&str; 2] = ["spur_shard_1", "spur_shard_2"];

static SERVER: OnceLock<ClickHouse> = OnceLock::new();

/// The test process's ClickHouse server, started on first use.
pub fn server() -> &'static ClickHouse {
    SERVER.get_or_init(start)
}

/// A database name no other test uses.
pub fn database(test: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{}_{}",
        test.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        n
    )
}

fn start() -> ClickHouse {
    let binary = ["/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("clickhouse-server is not installed (bash .ci/setup --tests installs it)");
    // Removed by the shell below when the server stops.
    let root = tempfile::tempdir().unwrap().keep();
    let root = root.as_path();
    let [http, tcp, interserver] = [0; 3].map(|_| crate::process::free_port().port());
    let config = root.join("config.xml");
    // The smallest configuration: the server reads `users.xml` (the `default` user, no
    // password, from localhost) next to it.
    std::fs::write(
        &config,
        format!(
            r#"<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{root}/server.log</log><errorlog>{root}/error.log</errorlog></logger>
    <http_port>{http}</http_port>
    <tcp_port>{tcp}</tcp_port>
    <interserver_http_port>{interserver}</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>{root}/data/</path>
    <tmp_path>{root}/tmp/</tmp_path>
    <user_files_path>{root}/user_files/</user_files_path>
    <format_schema_path>{root}/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <remote_servers>
        <{CLUSTER}>
            <shard><replica><host>127.0.0.1</host><port>{tcp}</port><default_database>{shard1}</default_database></replica></shard>
            <shard><replica><host>127.0.0.1</host><port>{tcp}</port><default_database>{shard2}</default_database></replica></shard>
        </{CLUSTER}>
    </remote_servers>
</yandex>
"#,
            root = root.display(),
            shard1 = SHARD_DATABASES[0],
            shard2 = SHARD_DATABASES[1],
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("users.xml"),
        r#"<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
        <profile>default</profile><quota>default</quota></default></users>
    <quotas><default></default></quotas>
</yandex>
"#,
    )
    .unwrap();
    // The server runs under a shell that waits for this process's end (its standard
    // input closes), then stops it and removes its files: no server outlives the tests,
    // even when one panics.
    let script = format!(
        "'{binary}' --config-file='{config}' >'{root}/stdout.log' 2>&1 & pid=$!; \
         cat >/dev/null; kill $pid; wait $pid; rm -rf '{root}'",
        config = config.display(),
        root = root.display()
    );
    let mut guard = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .spawn()
        .expect("starting clickhouse-server");
    // Keep the pipe open for the process's lifetime: leak its write end on purpose.
    std::mem::forget(guard.stdin.take().map(|mut stdin| {
        let _ = stdin.flush();
        stdin
    }));
    std::mem::forget(guard);
    let url = format!("http://127.0.0.1:{http}/");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", http)) {
            let _ = stream.write_all(b"GET /ping HTTP/1.0\r\n\r\n");
            let mut answer = String::new();
            let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
            if answer.contains("Ok.") {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "clickhouse-server did not answer within 60 s; its log: {}",
            std::fs::read_to_string(root.join("stdout.log")).unwrap_or_default()
                + &std::fs::read_to_string(root.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    ClickHouse { url }
}
