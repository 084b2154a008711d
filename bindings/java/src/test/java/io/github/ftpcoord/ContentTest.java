package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** The typed content readers alone (pure logic: no server). */
class ContentTest {
    record Employee(String name, int age, BigDecimal salary) {}

    record Order(String id, List<Line> lines, Map<String, Object> extra) {}

    record Line(String sku, long qty) {}

    static FileInfo file(String name) {
        int dot = name.lastIndexOf('.');
        return new FileInfo("/in/" + name, 0, 0, name, false, true, dot > 0 ? name.substring(dot + 1) : "", false,
                "/in/" + name, true, true, "ftp://h/in/" + name, "k", 1);
    }

    static InputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void extensionsRouteAsBallerinaRoutes() {
        assertEquals(ContentKind.TEXT, ContentKind.of(file("a.txt")));
        assertEquals(ContentKind.TEXT, ContentKind.of(file("a.LOG")));
        assertEquals(ContentKind.TEXT, ContentKind.of(file("readme.md")));
        assertEquals(ContentKind.JSON, ContentKind.of(file("a.Json")));
        assertEquals(ContentKind.XML, ContentKind.of(file("a.xml")));
        assertEquals(ContentKind.CSV, ContentKind.of(file("a.tar.csv")));
        assertEquals(ContentKind.FILE, ContentKind.of(file("a.bin")));
        assertEquals(ContentKind.FILE, ContentKind.of(file("noext")));
        assertEquals(ContentKind.FILE, ContentKind.of(file("a.csv.gz")));
    }

    @Test
    void fileNamePatternsRouteBeforeExtensions() {
        Service svc = new Service() {
            @FileNamePattern("order_.*\\.csv")
            public void onFileJson(Object content, FileInfo file) {}

            @Override
            public void onFileCsv(String[][] rows, FileInfo file, Caller caller) {}

            @Override
            @FileNamePattern("(?i).*\\.TXT\\.gz")
            public void onFile(FileInfo file, InputStream content, Caller caller) {}
        };
        ContentRoutes r = ContentRoutes.of(svc);
        assertEquals(ContentKind.JSON, r.kindOf(file("order_1.csv")), "the annotation wins over the extension");
        assertEquals(ContentKind.CSV, r.kindOf(file("invoice_1.csv")));
        assertEquals(ContentKind.FILE, r.kindOf(file("log.txt.gz")));
        assertEquals(ContentKind.TEXT, r.kindOf(file("a.txt")), "by extension; the listener then falls back to onFile");
        Service bad = new Service() {
            @Override
            @FileNamePattern("(unclosed")
            public void onFileText(String content, FileInfo file, Caller caller) {}
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContentRoutes.of(bad));
        assertTrue(e.getMessage().contains("@FileNamePattern(\"(unclosed\") is not a valid Java regular expression"), e.getMessage());
    }

    @Test
    void csvFollowsRfc4180() throws Exception {
        Csv c = new Csv(new StringReader("\uFEFFa,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\"two\r\nlines\"\n\n1,,3\r"
                + "lone\"quote,b,\"\"\n"));
        assertArrayEquals(new String[] {"a", "b", "c"}, c.next().fields());
        Csv.Row r = c.next();
        assertArrayEquals(new String[] {"x, y", "he said \"hi\"", "two\r\nlines"}, r.fields());
        assertEquals(2, r.line());
        Csv.Row three = c.next();
        assertArrayEquals(new String[] {"1", "", "3"}, three.fields());
        assertEquals(5, three.line(), "the empty line is counted, the quoted line end too");
        assertArrayEquals(new String[] {"lone\"quote", "b", ""}, c.next().fields());
        assertNull(c.next());
    }

    @Test
    void malformedCsvRecordsAreNamedAndSkippable() throws Exception {
        Csv c = new Csv(new StringReader("a,b\n\"x\"y,1\nok,2\n\"open,3"));
        c.next();
        Csv.MalformedException after = assertThrows(Csv.MalformedException.class, c::next);
        assertEquals(2, after.line());
        assertTrue(after.reason().contains("after the closing quote"), after.getMessage());
        assertArrayEquals(new String[] {"ok", "2"}, c.next().fields(), "the reader moved past the bad record");
        Csv.MalformedException open = assertThrows(Csv.MalformedException.class, c::next);
        assertTrue(open.reason().contains("not closed"), open.getMessage());
        assertNull(c.next());
    }

    @Test
    void csvBindsRowsByHeaderStrictOrFailSafe() throws Exception {
        String csv = "name,age,salary\nAlice,25,1000.50\nBob,old,10\nCarol,40\nDan,51,7\n";
        ContentBindingException e = assertThrows(ContentBindingException.class,
                () -> new Content(false, null).csv(file("e.csv"), in(csv), Employee.class));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("age: want a number, got a string"), e.getMessage());
        assertTrue(!e.getMessage().contains("old"), "the content itself is not in the message: " + e.getMessage());
        List<Employee> safe = new Content(false, CsvFailSafe.METADATA).csv(file("e.csv"), in(csv), Employee.class);
        assertEquals(List.of(new Employee("Alice", 25, new BigDecimal("1000.50")), new Employee("Dan", 51, new BigDecimal("7"))), safe);
        String[][] text = new Content(false, CsvFailSafe.RAW).csv(file("e.csv"), in(csv));
        assertEquals(3, text.length, "the row with two fields is skipped, the unbound ones stay as text");
    }

    @Test
    void strictAndLaxBinding() throws Exception {
        String json = "{\"id\":\"o-1\",\"lines\":[{\"sku\":\"a\",\"qty\":2}],\"extra\":{\"k\":true},\"unknown\":1}";
        Order o = (Order) new Content(false, null).json(file("o.json"), in(json), Order.class);
        assertEquals(new Order("o-1", List.of(new Line("a", 2)), Map.of("k", true)), o);
        String missing = "{\"id\":\"o-2\",\"lines\":[{\"sku\":\"a\"}]}";
        ContentBindingException e = assertThrows(ContentBindingException.class,
                () -> new Content(false, null).json(file("o.json"), in(missing), Order.class));
        assertTrue(e.getMessage().contains("lines[0].qty: is missing"), e.getMessage());
        Order lax = (Order) new Content(true, null).json(file("o.json"), in(missing), Order.class);
        assertEquals(new Order("o-2", List.of(new Line("a", 0)), null), lax);
        assertThrows(ContentBindingException.class, () -> new Content(false, null).json(file("o.json"), in("{\"qty\": 2.5}"), Line.class));
    }

    @Test
    void xmlIsParsedWithoutEntities() throws Exception {
        Document d = new Content(false, null).xml(file("a.xml"), in("<?xml version=\"1.0\"?><a xmlns=\"urn:x\"><b>1</b></a>"));
        assertEquals("urn:x", d.getDocumentElement().getNamespaceURI());
        assertEquals("1", d.getElementsByTagNameNS("urn:x", "b").item(0).getTextContent());
        ContentBindingException xxe = assertThrows(ContentBindingException.class, () -> new Content(false, null).xml(file("x.xml"),
                in("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>")));
        assertTrue(xxe.getMessage().contains("DOCTYPE"), xxe.getMessage());
        assertThrows(ContentBindingException.class, () -> new Content(false, null).xml(file("x.xml"), in("<a><b></a>")));
    }

    @Test
    void textMustBeUtf8() {
        byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        ContentBindingException e = assertThrows(ContentBindingException.class,
                () -> new Content(false, null).text(file("a.txt"), new ByteArrayInputStream(latin1)));
        assertTrue(e.getMessage().contains("/in/a.txt") && e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void csvFailSafeNamesItsField() {
        assertEquals(CsvFailSafe.RAW_AND_METADATA, CsvFailSafe.parse("raw_and_metadata"));
        assertEquals(CsvFailSafe.METADATA, CsvFailSafe.parse(null));
        FtpConfigException e = assertThrows(FtpConfigException.class, () -> CsvFailSafe.parse("ALL"));
        assertEquals("csvFailSafe.contentType", e.field());
    }
}
