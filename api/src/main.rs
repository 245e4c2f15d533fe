fn main() -> std::process::ExitCode {
    juhe_api::cli::main()
}
