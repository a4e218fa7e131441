fn main() { println!("ftp-server: not yet"); }
