//! The `spur` command, built again inside the test package so tests can start it.

fn main() -> std::process::ExitCode {
    spur::cli::main()
}
