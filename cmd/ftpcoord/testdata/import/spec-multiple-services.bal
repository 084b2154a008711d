// After the ballerina/ftp 2.18 spec, 4.2.2 "Multiple Services on One Listener",
// written out again for ftpcoord's import tests.
import ballerina/ftp;

listener ftp:Listener inbox = check new ({
    protocol: ftp:SFTP,
    host: "sftp.partner.test",
    port: 22,
    auth: {credentials: {username: "partner", password: "not-a-real-one"}},
    pollingInterval: 30
});

@ftp:ServiceConfig {
    path: "/incoming/orders",
    fileNamePattern: ".*\\.csv"
}
service on inbox {
    remote function onFileCsv(record {}[] content, ftp:FileInfo fileInfo) returns error? {
    }
}

@ftp:ServiceConfig {
    path: "/incoming/configs",
    fileNamePattern: ".*\\.json"
}
service on inbox {
    remote function onFileJson(json content, ftp:FileInfo fileInfo) returns error? {
    }
}
