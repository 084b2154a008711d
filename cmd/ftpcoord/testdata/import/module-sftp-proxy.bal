// Shaped like the module's SFTP proxy tests: a SOCKS5 proxy with its login,
// a key with a passphrase, the known hosts given, preferred methods.
import ballerina/ftp;

configurable string proxyPassword = ?;
configurable decimal interval = ?;

listener ftp:Listener viaProxy = new ({
    protocol: ftp:SFTP,
    host: "10.0.0.7",
    port: 22,
    auth: {
        credentials: {username: "tester"},
        privateKey: {path: "/keys/id_ed25519", password: "passphrase"},
        preferredMethods: [ftp:PUBLICKEY, ftp:KEYBOARD_INTERACTIVE]
    },
    sftpSshKnownHosts: "/etc/ssh/known_hosts",
    proxy: {host: "proxy.test", port: 1080, 'type: ftp:SOCKS5, auth: {username: "p", password: proxyPassword}},
    sftpCompression: [ftp:NO],
    path: "/in",
    pollingInterval: interval
});

service on viaProxy {
    remote function onFile(byte[] content, ftp:FileInfo fileInfo) returns error? {
    }
}
