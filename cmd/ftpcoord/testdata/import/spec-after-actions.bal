// After the spec's 4.4 examples: one method moves on success and on failure,
// another deletes; ftpcoord has one pair of after-actions per listener.
import ballerina/ftp;

service on new ftp:Listener({host: "ftp.test", port: 2121, path: "/drop", pollingInterval: 2.5d}) {
    @ftp:FunctionConfig {
        afterProcess: {moveTo: "/archive/success/"},
        afterError: {moveTo: "/archive/failed/", preserveSubDirs: false}
    }
    remote function onFileXml(xml content, ftp:FileInfo fileInfo) returns error? {
    }

    @ftp:FunctionConfig {
        afterProcess: ftp:DELETE,
        fileNamePattern: "order_.*\\.csv"
    }
    remote function onFileCsv(string[][] content, ftp:FileInfo fileInfo) returns error? {
    }
}
