// Shaped like the module's FTPS listener tests: implicit TLS with Ballerina's
// key and trust stores. Paths and passwords are this project's own.
import ballerina/crypto;
import ballerina/ftp;

ftp:ListenerConfiguration secureConfig = {
    protocol: ftp:FTPS,
    host: "127.0.0.1",
    port: 2190,
    auth: {
        credentials: {username: "tester", password: "secret"},
        secureSocket: {
            key: {path: "tests/resources/client.p12", password: "changeit"},
            cert: {path: "tests/resources/trust.p12", password: "changeit"},
            mode: ftp:IMPLICIT,
            dataChannelProtection: ftp:PRIVATE
        }
    },
    path: "/secure",
    pollingInterval: 1,
    socketConfig: {ftpDataTimeout: 30.0, ftpSocketTimeout: 15.0},
    fileTransferMode: ftp:BINARY,
    laxDataBinding: true,
    csvFailSafe: {contentType: ftp:RAW_AND_METADATA}
};

listener ftp:Listener secure = new (secureConfig);

service on secure {
    remote function onFileText(string content, ftp:FileInfo fileInfo) returns error? {
    }
}
