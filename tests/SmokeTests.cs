using NUnit.Framework;

namespace Antoum.Tests;

[TestFixture]
[Category("Quick")]
public class SmokeTests
{
    [Test]
    public void IsaVersionIsVisible()
    {
        Assert.That(Antoum.Isa.IsaInfo.FormatVersion, Is.GreaterThanOrEqualTo(0));
    }
}
