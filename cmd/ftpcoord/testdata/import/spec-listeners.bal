// After the ballerina/ftp 2.18 spec's listener examples (4.1.1, 4.1.2, 4.5.3,
// 4.6), rewritten with this project's names, one file with several listeners.
import ballerina/ftp;
import ballerina/task;

listener ftp:Listener plain = check new ({
    protocol: ftp:FTP,
    host: "ftp.example.test",
    port: 21,
    pollingInterval: 30
});

listener ftp:Listener secured = check new ({
    protocol: ftp:SFTP,
    host: "sftp.example.test",
    port: 22,
    auth: {
        credentials: {username: "reader", password: "pw"},
        privateKey: {path: "/keys/reader.key", password: "phrase"}
    },
    pollingInterval: 60,
    userDirIsRoot: true
});

listener ftp:Listener clustered = check new ({
    protocol: ftp:SFTP,
    host: "sftp.example.test",
    port: 22,
    auth: {credentials: {username: "reader", password: "pw"}},
    sftpSshKnownHosts: "/etc/ssh/ssh_known_hosts",
    coordination: {
        memberId: "node-1",
        coordinationGroup: "ftp-processors",
        livenessCheckInterval: 30,
        heartbeatFrequency: 1,
        databaseConfig: <task:MysqlConfig>{
            host: "db.example.test",
            user: "coord",
            password: "coordpw",
            database: "coordination_db"
        }
    }
});

@ftp:ServiceConfig {
    path: "/incoming/orders",
    fileNamePattern: "order_.*\\.csv",
    fileDependencyConditions: [
        {targetPattern: "order_(\\d+)\\.csv", requiredFiles: ["order_$1.marker"], matchingMode: ftp:ALL}
    ]
}
service on plain {
    remote function onFileCsv(record {}[] content, ftp:FileInfo fileInfo, ftp:Caller caller) returns error? {
        check caller->move(fileInfo.path, "/processed/" + fileInfo.name);
    }
}
