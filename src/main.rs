//! The `tessera` binary: a thin shell over `tessera-server`.
fn main() -> std::process::ExitCode {
    tessera_server::cli::main()
}
