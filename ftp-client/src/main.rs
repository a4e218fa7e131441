fn main() { println!("ftp-client: not yet"); }
