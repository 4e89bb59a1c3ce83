fn main() {
    sysgate_sdk_build::link();
}
