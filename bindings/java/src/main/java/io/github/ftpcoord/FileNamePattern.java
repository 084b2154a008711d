package io.github.ftpcoord;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Routes the files whose whole name matches this Java regular expression to the annotated
 * method ({@code onFile}, {@code onFileText}, {@code onFileJson}, {@code onFileXml} or
 * {@code onFileCsv}) whatever their extension, as ballerina/ftp's
 * {@code @ftp:FunctionConfig {fileNamePattern: ...}} overrides the routing by extension. When
 * several patterns match a name, the first method in the order onFileText, onFileJson,
 * onFileXml, onFileCsv, onFile takes the file. An invalid pattern fails {@code attach}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface FileNamePattern {
    /** The pattern the whole file name must match ({@code Pattern.matches}). */
    String value();
}
