//! Gives the shared library the name it is installed under, so programs linked with
//! `-lratecell` look for `libratecell.so` at run time.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libratecell.so");
    }
}
