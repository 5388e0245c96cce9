// `sqlx::migrate!` embeds the migration folders at compile time; rebuild when they change.
// The admin console's build (`admin-web/dist`) is embedded too (`console::assets`): rebuild when
// it changes or appears. A path that does not exist would make cargo rerun this script on every
// build, so only an existing folder is watched: the build itself, or else the console's source
// folder (where the build appears).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    let dist = std::path::Path::new("../admin-web/dist");
    if dist.is_dir() {
        println!("cargo:rerun-if-changed=../admin-web/dist");
    } else if dist.parent().is_some_and(|p| p.is_dir()) {
        println!("cargo:rerun-if-changed=../admin-web");
    }
}
