import ballerina/ftp;

listener ftp:Listener l = new ({host: "ftp.test", path: "/in", fileNamePattern: "(?!tmp_).*\\.csv"});
