//! The `kestrel` command line: run, list, check, output files and error messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kestrel(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kestrel"));
    cmd.args(args).current_dir(repo());
    // Scenarios on public benchmark maps read them from $KESTREL_DATASETS; beside the shared
    // datasets folder (as in CI) the tests find them without it being set.
    let shared = repo().join("../shared/datasets");
    if std::env::var_os("KESTREL_DATASETS").is_none() && shared.is_dir() {
        cmd.env("KESTREL_DATASETS", shared);
    }
    cmd.output().expect("kestrel runs")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const GOOD: &str = "[scenario]\nkind = \"pendulum\"\ndescription = \"d\"\nseed = 4\n\n[pendulum]\nlength_m = 1.0\nprocess_noise_density = 0.01\nduration_s = 1.0\n\n[sensor]\nangle_std_rad = 0.05\nperiod_s = 0.05\n\n[filters]\ninitial_angle_std_rad = 0.1\ninitial_rate_std_rad_s = 0.3\nparticles = 100\n\n[[cases]]\nname = \"small\"\ninitial_angle_rad = 0.1\n";

#[test]
fn every_committed_scenario_is_valid() {
    let mut files = Vec::new();
    let mut stack = vec![repo().join("scenarios")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p.display().to_string());
            }
        }
    }
    assert!(!files.is_empty());
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let o = kestrel(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn unknown_key_is_rejected_with_file_line_and_key() {
    let dir = tmp("cli_unknown_key");
    let text = GOOD.replace("particles = 100\n", "particles = 100\nparticle_count = 5\n");
    let f = write(&dir, "bad.toml", &text);
    let o = kestrel(&["check", &f]);
    assert!(!o.status.success());
    let e = stderr(&o);
    let line = text
        .lines()
        .position(|l| l.starts_with("particle_count"))
        .unwrap()
        + 1;
    assert!(e.contains(&format!("bad.toml:{line}:")), "{e}");
    assert!(e.contains("particle_count"), "{e}");
    // `run` refuses too, before anything starts: no output files
    let out = dir.join("out");
    let o = kestrel(&["run", &f, "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(!out.join("bad.json").exists() && !out.join("bad.rrd").exists());
}

#[test]
fn invalid_values_and_types_name_the_field_and_line() {
    let dir = tmp("cli_invalid_value");
    let line_of = |prefix: &str| GOOD.lines().position(|l| l.starts_with(prefix)).unwrap() + 1;
    let f = write(
        &dir,
        "neg.toml",
        &GOOD.replace("angle_std_rad = 0.05", "angle_std_rad = -0.05"),
    );
    let e = stderr(&kestrel(&["check", &f]));
    let at = format!("neg.toml:{}", line_of("angle_std_rad"));
    assert!(e.contains(&at) && e.contains("sensor.angle_std_rad"), "{e}");

    let f = write(
        &dir,
        "type.toml",
        &GOOD.replace("particles = 100", "particles = \"many\""),
    );
    let e = stderr(&kestrel(&["check", &f]));
    assert!(
        e.contains(&format!("type.toml:{}", line_of("particles"))),
        "{e}"
    );

    let f = write(
        &dir,
        "kind.toml",
        &GOOD.replace("kind = \"pendulum\"", "kind = \"pendulm\""),
    );
    let e = stderr(&kestrel(&["check", &f]));
    assert!(
        e.contains("unknown scenario kind `pendulm`") && e.contains("pendulum"),
        "{e}"
    );

    let f = write(&dir, "syntax.toml", &GOOD.replace("[sensor]", "[sensor"));
    let e = stderr(&kestrel(&["check", &f]));
    assert!(
        e.contains(&format!("syntax.toml:{}", line_of("[sensor]"))),
        "{e}"
    );

    let e = stderr(&kestrel(&["check", "no/such/file.toml"]));
    assert!(e.contains("no/such/file.toml"), "{e}");
}

#[test]
fn run_writes_json_and_recording_and_is_reproducible() {
    let dir = tmp("cli_run");
    let f = write(&dir, "tiny.toml", GOOD);
    let out = dir.join("runs");
    let o = kestrel(&["run", &f, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("small/ekf") && stdout.contains("rmse_angle_rad"),
        "{stdout}"
    );
    let rrd = out.join("tiny.rrd");
    assert!(std::fs::metadata(&rrd).unwrap().len() > 1000);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("tiny.json")).unwrap()).unwrap();
    assert_eq!(json["scenario"], "tiny");
    assert_eq!(json["seed"], 4);
    assert!(json["kestrel_version"].is_string());
    assert!(json["wall_time_s"].as_f64().unwrap() >= 0.0);
    let metrics = json["metrics"].as_object().unwrap();
    assert!(metrics["small/ukf"]["rmse_angle_rad"].is_f64());

    // same seed again (recording disabled): the same metrics, bit for bit
    let out2 = dir.join("runs2");
    let o = kestrel(&["run", &f, "--out", out2.to_str().unwrap(), "--no-viz"]);
    assert!(o.status.success());
    assert!(!out2.join("tiny.rrd").exists());
    let json2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("tiny.json")).unwrap()).unwrap();
    assert_eq!(json["metrics"], json2["metrics"]);

    // another seed: other metrics
    let out3 = dir.join("runs3");
    kestrel(&[
        "run",
        &f,
        "--out",
        out3.to_str().unwrap(),
        "--no-viz",
        "--seed",
        "5",
    ]);
    let json3: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out3.join("tiny.json")).unwrap()).unwrap();
    assert_eq!(json3["seed"], 5);
    assert_ne!(json["metrics"], json3["metrics"]);

    // --save chooses the recording's path
    let rrd = dir.join("elsewhere.rrd");
    let o = kestrel(&[
        "run",
        &f,
        "--out",
        out3.to_str().unwrap(),
        "--save",
        rrd.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(rrd.exists());
}

#[test]
fn monte_carlo_reports_mean_std_and_per_run_values() {
    let dir = tmp("cli_runs");
    let f = write(&dir, "mc.toml", GOOD);
    let out = dir.join("runs");
    let o = kestrel(&[
        "run",
        &f,
        "--out",
        out.to_str().unwrap(),
        "--runs",
        "5",
        "--no-viz",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("mc.json")).unwrap()).unwrap();
    assert_eq!(json["runs"], 5);
    let mc = &json["monte_carlo"];
    assert_eq!(mc["seeds"].as_array().unwrap().len(), 5);
    assert_eq!(mc["seeds"][0], 4);
    let s = &mc["metrics"]["small/kf"]["rmse_angle_rad"];
    let values: Vec<f64> = s["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(values.len(), 5);
    let mean = values.iter().sum::<f64>() / 5.0;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
    assert!((s["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
    assert!((s["std"].as_f64().unwrap() - std).abs() < 1e-12);
    assert_eq!(
        json["metrics"]["small/kf"]["rmse_angle_rad"]
            .as_f64()
            .unwrap(),
        s["mean"].as_f64().unwrap()
    );
    assert!(kestrel(&["run", &f, "--runs", "0"]).status.code() != Some(0));
}

#[test]
fn list_shows_each_scenario_with_its_description() {
    let o = kestrel(&["list"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    for name in [
        "estimation/pendulum",
        "estimation/maneuvering_target",
        "estimation/localization",
    ] {
        let line = s
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{s}"));
        assert!(line.contains('[') && line.len() > name.len() + 20, "{line}");
    }
}
