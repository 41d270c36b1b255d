//! An Asterisk of a test's own, to stop and start again (never the shared
//! one): `AMI_TEST_ASTERISK_CONTROL` names the folder with `start` and
//! `stop` (`../shared/asterisk`). Included by the real-Asterisk scenarios
//! and by `ami top`'s terminal tests.

/// An Asterisk of the suite's own, to stop and start again: needs
/// `AMI_TEST_ASTERISK_CONTROL` (the folder with `start` and `stop`).
pub(crate) struct Instance {
    pub(crate) control: std::path::PathBuf,
    pub(crate) dir: String,
    pub(crate) url: String,
    pub(crate) port: String,
    pub(crate) tls_port: String,
}

impl Instance {
    pub(crate) fn start() -> Option<Instance> {
        let control = std::env::var_os("AMI_TEST_ASTERISK_CONTROL")?;
        let control = std::path::PathBuf::from(control);
        let mut start = std::process::Command::new(control.join("start"));
        start
            .env_remove("AMI_TEST_PORT")
            .env_remove("AMI_TEST_TLS_PORT");
        let output = run_start(start, "start");
        let vars = String::from_utf8_lossy(&output.stdout).into_owned();
        let var = |name: &str| {
            vars.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} in {vars}"))
                .to_string()
        };
        let url = var("AMI_TEST_URL");
        let tls = var("AMI_TEST_TLS_URL");
        Some(Instance {
            control,
            dir: var("AMI_TEST_ASTERISK"),
            port: url.rsplit(':').next().unwrap().to_string(),
            tls_port: tls.rsplit(':').next().unwrap().to_string(),
            url,
        })
    }

    pub(crate) fn stop(&self) {
        let status = std::process::Command::new(self.control.join("stop"))
            .arg(&self.dir)
            .status()
            .expect("runs stop");
        assert!(status.success());
    }

    pub(crate) fn restart(&self) {
        let mut start = std::process::Command::new(self.control.join("start"));
        start
            .arg(&self.dir)
            .env("AMI_TEST_PORT", &self.port)
            .env("AMI_TEST_TLS_PORT", &self.tls_port);
        run_start(start, "restart");
    }
}

/// Runs the `start` script as `command` sets it up; panics, saying `what`
/// failed and why, unless it succeeds.
fn run_start(mut command: std::process::Command, what: &str) -> std::process::Output {
    let output = command.output().expect("runs start");
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::process::Command::new(self.control.join("stop"))
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
