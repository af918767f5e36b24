//! The `spur` command (see [`spur::cli`]).

fn main() -> std::process::ExitCode {
    spur::cli::main()
}
